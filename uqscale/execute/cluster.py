"""Connecting to the Dask cluster a run uses: the one place that knows cluster kinds.

``local``           an embedded LocalCluster of single-threaded worker processes;
``address``         a running scheduler (``tcp://host:port``);
``scheduler_file``  a scheduler that wrote its address to a file (``dask scheduler
                    --scheduler-file``, ``dask-mpi``), typically inside one allocation;
``slurm``, ``pbs``, ``sge``, ``lsf``
                    workers submitted as batch jobs by dask-jobqueue, configured by a
                    profile (dask config YAML with a ``jobqueue:`` section), then by the
                    study's ``execution.jobqueue`` keywords.

Everything listens on localhost unless the user configures otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from uqscale.errors import StudyError, UqscaleError
from uqscale.study.model import Execution

JOBQUEUE_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
                    "lsf": "LSFCluster"}
WORKER_WAIT_SECONDS = 600


def find_profile(name_or_path: str, base_dir: Path | None) -> Path:
    """Locate a cluster profile: a path to a YAML file, or a name looked up as
    ``cluster/profiles/NAME.yaml`` in the study's folder, its parents, and the
    working directory."""
    given = Path(name_or_path).expanduser()
    if given.suffix in (".yaml", ".yml"):
        if given.is_file():
            return given
        raise StudyError("execution.profile", f"no such profile file: {given}")
    roots = [Path.cwd()]
    if base_dir is not None:
        roots = [base_dir, *base_dir.parents, *roots]
    for root in roots:
        candidate = root / "cluster" / "profiles" / f"{name_or_path}.yaml"
        if candidate.is_file():
            return candidate
    raise StudyError("execution.profile", f"no profile '{name_or_path}' in cluster/profiles/ "
                                          f"of the study's folder, its parents or the working "
                                          f"directory; give a path to a YAML file")


def profile_config(execution: Execution, base_dir: Path | None) -> dict[str, Any]:
    """The dask config of the run's profile: the named one, else the profile named
    like the cluster kind if one is found, else nothing (dask's own config applies)."""
    import yaml

    if execution.profile:
        path = find_profile(execution.profile, base_dir)
    else:
        try:
            path = find_profile(execution.cluster, base_dir)
        except StudyError:
            return {}
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # Dotted keys: setting a whole "jobqueue" mapping would drop dask-jobqueue's own
    # defaults (KeyError: 'shared-temp-directory').
    return dict(_dotted(config))


def _dotted(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            yield from _dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@contextmanager
def open_client(execution: Execution, base_dir: Path | None = None) -> Iterator:
    """Yield a ``distributed.Client`` for ``execution``; close what was started here.

    Raises
    ------
    UqscaleError
        When the scheduler cannot be reached or no worker arrives in time.
    """
    from distributed import Client

    kind = execution.cluster
    if kind == "local":
        with _local_cluster(execution) as cluster, Client(cluster) as client:
            yield client
    elif kind in ("address", "scheduler_file"):
        target = {"address": execution.address} if kind == "address" else \
            {"scheduler_file": execution.scheduler_file}
        try:
            client = Client(**target, timeout="30s")
        except OSError as error:
            raise UqscaleError(f"cannot reach the Dask scheduler at {target}: {error}") from None
        with client:
            _wait_for_workers(client, 1)
            yield client
    else:
        with _jobqueue_cluster(execution, base_dir) as cluster, Client(cluster) as client:
            _wait_for_workers(client, 1)
            yield client


def _local_cluster(execution: Execution):
    from distributed import LocalCluster

    return LocalCluster(n_workers=execution.workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR, resources=execution.resources or None)


@contextmanager
def _jobqueue_cluster(execution: Execution, base_dir: Path | None) -> Iterator:
    import dask.config
    import dask_jobqueue

    cls = getattr(dask_jobqueue, JOBQUEUE_CLASSES[execution.cluster])
    keywords: dict[str, Any] = dict(execution.jobqueue)
    if execution.resources:
        extra = [f"--resources {','.join(f'{k}={v}' for k, v in execution.resources.items())}"]
        keywords["worker_extra_args"] = [*keywords.get("worker_extra_args", []), *extra]
    with dask.config.set(profile_config(execution, base_dir)):
        cluster = cls(**keywords)
        try:
            if execution.maximum_jobs:
                cluster.adapt(minimum_jobs=execution.minimum_jobs or 0,
                              maximum_jobs=execution.maximum_jobs)
            else:
                cluster.scale(jobs=execution.jobs)
            yield cluster
        finally:
            cluster.close()


def _wait_for_workers(client, count: int) -> None:
    try:
        client.wait_for_workers(count, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise UqscaleError(f"no Dask worker joined within {WORKER_WAIT_SECONDS} s; check "
                           f"the batch queue (squeue/qstat) and the job logs") from None


def describe(client) -> Mapping[str, Any]:
    """Where a run ran: scheduler address, workers, dashboard (for provenance)."""
    info = client.scheduler_info()
    return {"scheduler": client.scheduler.address, "workers": len(info["workers"]),
            "dashboard": client.dashboard_link if _dashboard_up(info) else None}


def _dashboard_up(info: Mapping[str, Any]) -> bool:
    return "dashboard" in info.get("services", {})
