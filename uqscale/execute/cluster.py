"""Connecting to the Dask cluster a run uses.

The kinds (``local``, ``address``, ``scheduler_file``, and the batch schedulers
``slurm``, ``pbs``, ``sge``, ``lsf``) are declared once, in :mod:`uqscale.execute.kinds`;
this module turns a study's ``execution`` into a ``distributed.Client`` for one of them.

Security: a cluster uqscale starts (the embedded LocalCluster, or batch-job workers)
speaks TLS with a certificate made for the run (``Security.temporary()``): only the
launcher, and workers given the certificate, can connect. Batch jobs read it from
files that dask-jobqueue writes into a folder the nodes share (``shared_dir``, or
``jobqueue.KIND.shared-temp-directory``), readable by the user only and removed when the
cluster closes. A running scheduler (``address``, ``scheduler_file``) is reached with
the security that dask config gives (``distributed.comm.tls.*``), from the environment,
the user's dask config or the profile.

Profiles: a batch kind's options come from its packaged profile, registered in dask
config as ``uqscale.jobqueue.KIND`` (see :mod:`uqscale.execute.profiles`), or from the
profile the study names: a path to a YAML file, or ``cluster/profiles/NAME.yaml`` in
the study's folder, its parents or the working directory. Environment variables
(``DASK_JOBQUEUE__SLURM__QUEUE=long``) override a profile, as they do a ``DASK_CONFIG``
file; the study's ``execution.jobqueue`` keywords override everything.
A refused job submission (unknown queue, no ``sbatch``) is an error at once, not a
wait for workers that never come.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uqscale.errors import StudyError, UqscaleError
from uqscale.execute.kinds import BATCH_KINDS, KINDS
from uqscale.execute.profiles import registered
from uqscale.study.model import Execution

if TYPE_CHECKING:
    from distributed import Client

WORKER_WAIT_SECONDS = 600
CONNECT_SECONDS = 30
"""How long to try to reach a running scheduler, and to wait for its scheduler file."""


def find_profile(name_or_path: str, base_dir: Path | None) -> Path | None:
    """Locate a profile file: a path to a YAML file, or a name looked up as
    ``cluster/profiles/NAME.yaml`` in the study's folder, its parents and the working
    directory.

    Parameters
    ----------
    name_or_path
        ``execution.profile``: a path ending in ``.yaml``/``.yml``, or a name.
    base_dir
        The study's folder, searched first (then its parents), or None.

    Returns
    -------
    Path or None
        The file; None when a name is found nowhere (it may name a packaged profile).

    Raises
    ------
    StudyError
        ``execution.profile``: a path to a YAML file that does not exist.
    """
    given = Path(name_or_path).expanduser()
    if given.suffix in (".yaml", ".yml"):
        if given.is_file():
            return given
        raise StudyError("execution.profile", f"no such profile file: {given}")
    roots = [Path.cwd()] if base_dir is None else [base_dir, *base_dir.parents, Path.cwd()]
    for root in roots:
        candidate = root / "cluster" / "profiles" / f"{name_or_path}.yaml"
        if candidate.is_file():
            return candidate
    return None


def profile_config(execution: Execution, base_dir: Path | None) -> dict[str, Any]:
    """The dask config of the run's profile as dotted keys: the named one (a file, else
    the packaged profile of that name), else the packaged profile of a batch kind,
    else nothing (dask's own config applies). Environment variables override what a
    profile says.

    Parameters
    ----------
    execution
        The study's execution settings (``profile`` and ``cluster`` are read).
    base_dir
        The study's folder, where a profile name is looked up first.

    Returns
    -------
    dict
        ``{"jobqueue.slurm.queue": "long", ...}``, ready for ``dask.config.set``.

    Raises
    ------
    StudyError
        ``execution.profile``: a named profile that cannot be found or read.
    """
    import dask.config

    name = execution.profile
    path = find_profile(name, base_dir) if name else None
    if path is not None:
        config = _read_profile(path)
    elif name in BATCH_KINDS or (not name and KINDS[execution.cluster].is_batch):
        kind = name or execution.cluster
        config = {"jobqueue": {kind: registered(kind)}}
    elif name:
        raise StudyError(
            "execution.profile",
            f"no profile '{name}' in cluster/profiles/ of "
            f"the study's folder, its parents or the "
            f"working directory, and none packaged (those "
            f"are {', '.join(BATCH_KINDS)}); give a path "
            f"to a YAML file",
        )
    else:
        return {}
    # Environment variables (DASK_JOBQUEUE__SLURM__QUEUE=long) override the profile,
    # as they do a profile given as DASK_CONFIG.
    environment = {_canonical(k): v for k, v in _dotted(dask.config.collect_env())}
    # Dotted keys: setting a whole "jobqueue" mapping would drop dask-jobqueue's own
    # defaults (KeyError: 'shared-temp-directory').
    return {key: environment.get(_canonical(key), value) for key, value in _dotted(config)}


def _read_profile(path: Path) -> Mapping[str, Any]:
    import yaml

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StudyError(
            "execution.profile", f"cannot read {path}: {str(error).splitlines()[0]}"
        ) from None
    if not isinstance(config, Mapping):
        raise StudyError("execution.profile", f"{path}: not a mapping of dask config")
    return config


def _canonical(key: str) -> str:
    return key.replace("_", "-")


def _dotted(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in config.items():
        if isinstance(value, Mapping) and value:
            yield from _dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


@contextmanager
def open_client(
    execution: Execution, base_dir: Path | None = None, shared_dir: Path | None = None
) -> Iterator[Client]:
    """Yield a ``distributed.Client`` for ``execution``; close what was started here.

    Parameters
    ----------
    execution
        Where and how to run.
    base_dir
        The study's folder: where profile names are looked up.
    shared_dir
        A folder the batch jobs can read (the run folder): where their copy of the
        run's TLS certificate is written, unless dask config names one
        (``jobqueue.KIND.shared-temp-directory``). Default: ``base_dir``, else the
        working directory.

    Yields
    ------
    distributed.Client
        Connected to the scheduler, with the run's workers (or their jobs) started.

    Raises
    ------
    UqscaleError
        When the scheduler cannot be reached or no worker arrives in time.
    """
    import dask.config
    import distributed  # noqa: F401  (loads its config defaults before we set keys)

    if KINDS[execution.cluster].is_batch:
        import dask_jobqueue  # noqa: F401  (same: the jobqueue defaults)
    # A key set on top of a section that does not exist yet makes the section on
    # leaving, dropping defaults that were loaded meanwhile: hence the imports above.
    with (
        dask.config.set(profile_config(execution, base_dir)),
        _client(execution, shared_dir or base_dir or Path.cwd()) as client,
    ):
        yield client


@contextmanager
def _client(execution: Execution, shared_dir: Path) -> Iterator[Client]:
    from distributed import Client

    kind = KINDS[execution.cluster]
    if kind.name == "local":
        with _local_cluster(execution) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]  # distributed: unannotated
            _prepare(client)
            yield client
    elif kind.requires:
        with _running_scheduler(execution, kind.requires) as client:
            _wait_for_workers(client, 1)
            _prepare(client)
            yield client
    else:
        with (
            _jobqueue_cluster(execution, shared_dir) as (cluster, refused),
            Client(cluster) as client,  # type: ignore[no-untyped-call]  # distributed: unannotated
        ):
            _wait_for_workers(client, 1, refused, type(cluster).__name__)
            _prepare(client)
            yield client


def _running_scheduler(execution: Execution, field: str) -> Client:
    """A client of the scheduler at ``execution.address`` or named in
    ``execution.scheduler_file``, with the TLS settings of dask config."""
    from distributed import Client

    if field == "address":
        assert execution.address is not None
        address, where = execution.address, f"at {execution.address}"
    else:
        assert execution.scheduler_file is not None
        path = Path(execution.scheduler_file).expanduser()
        address = _address_in(path)
        where = f"at {address} (from {path})"
    try:
        return Client(address, timeout=f"{CONNECT_SECONDS}s")  # type: ignore[no-untyped-call]  # distributed: unannotated
    except (OSError, ValueError, TypeError) as error:
        hint = (
            "; a TLS scheduler needs distributed.comm.tls.ca-file and client.cert/key in "
            "dask config"
            if address.startswith("tls://")
            else ""
        )
        raise UqscaleError(
            f"cannot reach the Dask scheduler {where}: {_first_line(error)}{hint}"
        ) from None


def _prepare(client: Client) -> None:
    """Import uqscale's batch code in the workers there now (about 0.1 s each, in
    parallel), so that cluster start, not the first batches, pays for it. A worker
    that cannot import it is left to fail its first batch with the reason."""
    import importlib

    with contextlib.suppress(Exception):
        client.run(importlib.import_module, "uqscale.models.evaluate")


def _local_cluster(execution: Execution) -> Any:
    """The embedded cluster (see :func:`local_cluster_options`)."""
    import dask.config
    from distributed import LocalCluster

    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in workers, which also fixes
    # glibc's mmap threshold low: every numpy temporary over 128 kB is then mapped
    # and unmapped, making array-heavy models several times slower. Unset it.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        return LocalCluster(**local_cluster_options(execution))  # type: ignore[no-untyped-call]  # distributed: unannotated


def local_cluster_options(execution: Execution, tls: bool = True) -> dict[str, Any]:
    """The embedded LocalCluster's keywords: single-threaded worker processes on
    127.0.0.1 and, unless ``tls`` is False (a baseline to compare with), TLS with a
    certificate made for this run, so that no other process can connect.

    Parameters
    ----------
    execution
        ``workers`` and ``resources`` are read.
    tls
        Whether to make a temporary certificate and require TLS.

    Returns
    -------
    dict
        Keyword arguments for ``distributed.LocalCluster``.
    """
    from distributed.security import Security

    security = {"protocol": "tls://", "security": Security.temporary()} if tls else {}  # type: ignore[no-untyped-call]  # distributed: unannotated
    return {
        "n_workers": execution.workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:0",
        "silence_logs": logging.ERROR,
        "resources": execution.resources or None,
        **security,
    }


def jobqueue_keywords(execution: Execution, shared_dir: Path) -> dict[str, Any]:
    """The keywords uqscale gives a dask-jobqueue class, over what dask config says:
    a temporary TLS certificate, where the jobs find it, the study's
    ``execution.jobqueue`` and the workers' ``resources``.

    Parameters
    ----------
    execution
        The study's execution settings (a batch kind).
    shared_dir
        Folder for the jobs' copy of the certificate, unless
        ``jobqueue.KIND.shared-temp-directory`` is configured.

    Returns
    -------
    dict
        Keyword arguments for ``SLURMCluster`` and its siblings.
    """
    import dask.config
    from distributed.security import Security

    keywords: dict[str, Any] = {"security": Security.temporary(), **execution.jobqueue}  # type: ignore[no-untyped-call]  # distributed: unannotated
    if dask.config.get(f"jobqueue.{execution.cluster}.shared-temp-directory", None) is None:
        keywords.setdefault("shared_temp_directory", str(shared_dir))
    if execution.resources:
        extra = [f"--resources {','.join(f'{k}={v}' for k, v in execution.resources.items())}"]
        keywords["worker_extra_args"] = [*keywords.get("worker_extra_args", []), *extra]
    return keywords


@contextmanager
def _jobqueue_cluster(
    execution: Execution, shared_dir: Path
) -> Iterator[tuple[Any, list[BaseException]]]:
    """A dask-jobqueue cluster speaking TLS with a per-run certificate, its first worker
    jobs submitted. Yields the cluster and a list that collects the errors of refused
    job submissions."""
    import dask_jobqueue
    from distributed.core import Status

    class_name = KINDS[execution.cluster].jobqueue_class
    assert class_name is not None, f"{execution.cluster} is not a dask-jobqueue kind"
    cls: Any = getattr(dask_jobqueue, class_name)
    base: Any = cls.job_cls
    keywords = jobqueue_keywords(execution, shared_dir)
    refused: list[BaseException] = []

    class Job(base):  # type: ignore[misc]  # the scheduler's own job class, recording refusals
        async def start(self) -> None:
            try:
                await super().start()
            except Exception as error:
                refused.append(error)
                # "failed", not "created": SpecCluster.close() asserts that every job
                # it made has ended.
                self.status = Status.failed
                raise

    try:
        cluster = cls(job_cls=Job, **keywords)
    except (TypeError, ValueError) as error:
        raise StudyError(
            "execution.jobqueue",
            f"{cls.__name__}: {_first_line(error)} (set "
            f"it in the profile or in execution.jobqueue)",
        ) from None
    try:
        if execution.maximum_jobs is not None:
            # At least one job: a run always has work for it, and adapt() would
            # otherwise wait for tasks while the run waits for a worker.
            least = max(1, execution.minimum_jobs or 0)
            cluster.adapt(minimum_jobs=least, maximum_jobs=max(least, execution.maximum_jobs))
        else:
            cluster.scale(jobs=execution.jobs)
        yield cluster, refused
    finally:
        cluster.close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _submission_error(error: BaseException) -> str:
    """The gist of dask-jobqueue's error for a failed submit command: the command's
    standard error (``sbatch: error: invalid partition specified: x``), one line."""
    text = str(error)
    if "stderr:" in text:
        lines = [line.strip() for line in text.split("stderr:", 1)[1].splitlines()]
        useful = [line for line in lines if line]
        if useful:
            return "; ".join(useful)
    return " ".join(text.split())


def _address_in(path: Path) -> str:
    """The scheduler address in a scheduler file, waiting for a scheduler starting
    beside us to write it."""
    import json

    deadline = time.monotonic() + CONNECT_SECONDS
    problem = "it does not exist"
    while time.monotonic() < deadline:
        try:
            address = json.loads(path.read_text(encoding="utf-8")).get("address")
            if isinstance(address, str) and address:
                return address
            problem = "it holds no scheduler address"
        except FileNotFoundError:
            pass
        except (OSError, ValueError, AttributeError) as error:  # half written, or not JSON
            problem = f"it is not a scheduler file ({_first_line(error)})"
        time.sleep(0.1)
    raise UqscaleError(
        f"scheduler file {path}: {problem} after {CONNECT_SECONDS} s; write "
        f"it with: dask scheduler --scheduler-file {path}"
    )


def _wait_for_workers(
    client: Client, count: int, refused: list[BaseException] | None = None, kind: str = ""
) -> None:
    """Wait until ``count`` workers are connected; give up at once when a batch job
    submission was refused and no worker is there."""
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while True:
        try:
            client.wait_for_workers(
                count, timeout=0.5 if refused is not None else WORKER_WAIT_SECONDS
            )
            return
        except TimeoutError:
            pass
        if refused:
            raise UqscaleError(
                f"{kind} could not submit a worker job: {_submission_error(refused[0])}"
            )
        if time.monotonic() > deadline:
            raise UqscaleError(
                f"no Dask worker joined within {WORKER_WAIT_SECONDS} s; check "
                f"the batch queue (squeue/qstat) and the job logs"
            )


def describe(client: Any) -> Mapping[str, Any]:  # reads distributed internals (untyped)
    """Where a run ran: scheduler address, workers, dashboard (for provenance)."""
    info = client.scheduler_info()
    link = client.dashboard_link if "dashboard" in info.get("services", {}) else None
    return {
        "scheduler": client.scheduler.address,
        "workers": len(info["workers"]),
        "dashboard": link if link and serves_pages(link) else None,
    }


def serves_pages(link: str, timeout: float = 2.0) -> bool:
    """Whether ``link`` answers with a page: a Dask dashboard only does when bokeh is
    installed where the scheduler runs (without it, distributed answers with a page
    that says "Dask needs bokeh" instead).

    Parameters
    ----------
    link
        The dashboard's address, as ``Client.dashboard_link`` gives it.
    timeout
        Seconds to wait for the answer.

    Returns
    -------
    bool
        True when the page answered 200 from here.
    """
    import urllib.request

    try:
        with urllib.request.urlopen(link, timeout=timeout) as answer:
            return answer.status == 200 and b"needs bokeh" not in answer.read(4096)
    except (OSError, ValueError):
        return False
