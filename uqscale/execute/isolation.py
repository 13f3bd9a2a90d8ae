"""Crash isolation: a sample that kills its worker costs that sample only.

A model that segfaults, is killed by the out-of-memory killer or calls ``os._exit``
takes its Dask worker down with it (without ``timeout``, Python steps run inside the
worker). Dask fails such a task with ``KilledWorker``, which names no sample, and so
does every task that was waiting on the same worker.

:func:`limit_worker_kills` makes Dask give up on a task after the first worker it
kills (``allowed_failures = 0`` on the scheduler), so a crashing sample costs one
worker, not four (Dask's default of 3 retries: a nanny restarts each one, and a run of
restarts can leave a cluster without workers). The runner then hands the batch to
:func:`isolate`, which runs it again with every Python call in a forked child of the
worker (as a step with a ``timeout`` does): the sample at fault kills only its child
and is recorded as ``ModelCrashed`` with its index and the signal; every other sample
is stored. A batch that was only waiting on the dying worker simply succeeds. Nothing
is bisected: one rerun finds every culprit, and no worker dies again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any

import numpy as np

from uqscale.models.evaluate import Pipeline
from uqscale.records import BatchResult, Failure

ALLOWED_FAILURES = 0
"""Workers a task may kill before Dask fails it, beyond the first."""
ATTEMPTS = 3
"""Reruns of a batch in forked children when its worker is lost again meanwhile (for
another batch's crash, or a node taken back); then its samples are ``WorkerLost``,
which a resume runs again."""

Submit = Callable[[Any, Pipeline, int, dict[str, np.ndarray]], Any]


def limit_worker_kills(client: Any) -> None:
    """Let a task kill at most :data:`ALLOWED_FAILURES` + 1 workers on ``client``'s
    scheduler (a scheduler that refuses ``run_on_scheduler`` keeps its setting)."""

    def lower(dask_scheduler: Any, limit: int = ALLOWED_FAILURES) -> None:
        dask_scheduler.allowed_failures = min(dask_scheduler.allowed_failures, limit)

    with suppress(Exception):
        client.run_on_scheduler(lower)


def isolate(
    client: Any, pipeline: Pipeline, start: int, inputs: Mapping[str, np.ndarray], submit: Submit
) -> object:
    """Evaluate again, each Python call in a forked child, the batch starting at
    ``start`` that was running or waiting on a worker that died.

    Parameters
    ----------
    client
        The Dask client the batch ran on.
    pipeline
        What the batch runs.
    start
        Design index of the batch's first sample.
    inputs
        The batch's inputs by name.
    submit
        ``submit(client, pipeline, start, inputs)`` returning a future of the batch's
        result (the runner's own way of submitting a batch).

    Returns
    -------
    object
        The future's value, with ``ModelCrashed`` for each sample whose process died;
        or, when its worker was lost on every attempt, a :class:`BatchResult` with
        every sample ``WorkerLost``.
    """
    from distributed import KilledWorker

    in_child = dataclasses.replace(pipeline, in_child=True)
    for _ in range(ATTEMPTS):
        future = submit(client, in_child, start, dict(inputs))
        try:
            return future.result()
        except KilledWorker as error:
            lost = error
        finally:
            future.release()
    return lost_batch(start, start + len(next(iter(inputs.values()))), str(lost))


def lost_batch(start: int, stop: int, message: str) -> BatchResult:
    """A batch whose workers died: every sample failed as ``WorkerLost``.

    Parameters
    ----------
    start, stop
        The batch's samples, ``[start, stop)``.
    message
        Why the workers were lost, stored with each failure.

    Returns
    -------
    BatchResult
        No outputs; one failure per sample.
    """
    failures = [Failure(sample, "", "WorkerLost", message) for sample in range(start, stop)]
    return BatchResult(start, stop, {}, failures)
