"""Connecting to the Dask cluster a run uses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from uqscale.errors import StudyError
from uqscale.study.model import Execution


@contextmanager
def open_client(execution: Execution) -> Iterator:
    """Yield a ``distributed.Client`` for ``execution``, closing what it started.

    ``local`` starts an embedded ``LocalCluster`` of ``workers`` single-threaded
    processes listening on localhost only.
    """
    from distributed import Client, LocalCluster

    if execution.cluster != "local":
        raise StudyError("execution.cluster",
                         f"'{execution.cluster}' is not available yet; use 'local'")
    with LocalCluster(n_workers=execution.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client
