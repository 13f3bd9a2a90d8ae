"""The Python API of whole runs: the same pipeline as ``uqscale run``, ``resume`` and
``analyze``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from uqscale.analysis.run_all import analyze_all
from uqscale.design import blocks_for, build_design, design_columns
from uqscale.errors import StudyError, UqscaleError
from uqscale.execute.cluster import describe, open_client
from uqscale.execute.progress import Progress
from uqscale.execute.runner import run_batches
from uqscale.models.evaluate import BatchResult, Failure, Pipeline
from uqscale.provenance import provenance, session_record
from uqscale.report.indices import indices_document
from uqscale.store import RETRYABLE, RunStore
from uqscale.study.diff import first_difference
from uqscale.study.files import study_to_yaml
from uqscale.study.model import Study


@dataclass
class RunResult:
    """What a run produced: the folder on disk and its contents in memory."""

    directory: Path
    design: xr.Dataset
    results: xr.Dataset
    failures: list[Failure]
    analyses: dict[str, dict[str, xr.Dataset]]
    indices: dict
    timings: dict[str, float]
    """Wall seconds per stage of this session: design, store_create, cluster_start,
    ensemble (of which model: the batches' own time, summed over workers, and
    store_batches), cluster_stop, collect, analysis, store_analyses."""
    ran: int = 0
    """Samples evaluated in this session (0 when everything was already done)."""


def default_directory(study: Study) -> Path:
    """``output.directory`` of the study, or ``runs/NAME``."""
    return Path(study.output.directory or Path("runs") / study.name)


def fresh_directory(directory: Path) -> Path:
    """``directory``, or the first of ``directory-2``, ``-3`` ... that holds nothing."""
    candidate, k = directory, 1
    while candidate.exists() and any(candidate.iterdir()):
        k += 1
        candidate = directory.with_name(f"{directory.name}-{k}")
    return candidate


def run(study: Study, out: str | Path | None = None, *, client=None,
        given_text: str | None = None, batch_size: int | None = None,
        force: bool = False, retry_failed: bool = False,
        progress: bool | None = False) -> RunResult:
    """Sample the study's designs, run its model graph on Dask, analyse, store.

    A folder that already holds a run of the same study is resumed: only missing
    samples (and failures worth retrying) are computed.

    Parameters
    ----------
    study
        The study to run.
    out
        Run folder; default ``output.directory`` or ``runs/NAME``.
    client
        A Dask client to run on; default the cluster named by ``study.execution``.
    given_text
        The study file's text, recorded as given (default: the resolved study).
    batch_size
        Samples per task; default ``execution.batch_size`` or automatic.
    force
        When ``out`` holds a run of a different study, start afresh in a new
        folder beside it instead of refusing.
    retry_failed
        On resume, run every failed sample again (not only timeouts and lost workers).
    progress
        Draw a progress bar (``None``: when standard error is a terminal).

    Returns
    -------
    RunResult
    """
    directory = Path(out) if out is not None else default_directory(study)
    if RunStore.holds_run(directory):
        store = RunStore.open(directory)
        change = first_difference(_runs_alike(store.study()), _runs_alike(study))
        if change is None:
            return _complete(store, study, client, batch_size, retry_failed, progress)
        if not force:
            raise UqscaleError(f"{directory} holds a run of a different study "
                               f"({change}); use --force to start afresh in a new folder")
        directory = fresh_directory(directory)
    given_text = given_text or study_to_yaml(study)
    Pipeline.from_study(study).check()   # a missing program or model fails before any file
    timings: dict[str, float] = {}
    with _timed(timings, "design"):
        design = build_design(study)
    record = provenance(given_text, study.seed) | {
        "study_dir": str(study.base_dir) if study.base_dir else None}
    with _timed(timings, "store_create"):
        store = RunStore.create(directory, study, given_text, design, record)
    try:
        return _complete(store, study, client, batch_size, retry_failed, progress, timings)
    except StudyError:
        # h16: a folder is removed only when it stores no batch; else it stays resumable.
        if not store.part_files():
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
        raise


def resume(directory: str | Path, *, client=None, batch_size: int | None = None,
           retry_failed: bool = False, progress: bool | None = False,
           workers: int | None = None) -> RunResult:
    """Finish an interrupted run: compute only what is missing, then analyse.

    Parameters
    ----------
    directory
        The run folder.
    retry_failed
        Also run every failed sample again (timeouts and lost workers always are).
    workers
        Override ``execution.workers`` of the stored study.
    """
    store = RunStore.open(Path(directory))
    study = store.study()
    if workers is not None:
        import dataclasses

        study = study.replace(execution=dataclasses.replace(study.execution, workers=workers))
    return _complete(store, study, client, batch_size, retry_failed, progress)


def analyze(directory: str | Path, study: Study | None = None) -> RunResult:
    """Re-run the analyses of a run folder (or those of ``study``, which must have
    the same inputs and models) from its stored results, without running models."""
    store = RunStore.open(Path(directory))
    stored = store.study()
    study = study or stored
    design = store.design()
    timings: dict[str, float] = {}
    blocks = blocks_for(study, stored, design)
    with store.lock():
        results, failures = store.collect(design.sizes["sample"], _coords(stored))
        return _analyse(store, study, design, results, failures, timings, 0, blocks)


def _complete(store: RunStore, study: Study, client, batch_size: int | None,
              retry_failed: bool, progress: bool | None,
              timings: dict[str, float] | None = None) -> RunResult:
    """Run what is missing in ``store``, then collect, analyse and write."""
    timings = timings if timings is not None else {}
    timings.update(model=0.0, store_batches=0.0)
    with store.lock():
        design = store.design()
        size = design.sizes["sample"]
        done, failures = store.sample_state(size)
        todo = ~done
        for failure in failures:
            if retry_failed or failure.error in RETRYABLE:
                todo[failure.sample] = True
        session = store.next_session()
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        where = None
        if todo.any():
            store.update_provenance({"running": {"session": session, "started": started,
                                                 "samples": int(todo.sum())}})
            where = _run_missing(store, study, design, todo, client, batch_size, progress,
                                 timings, session)
        store.update_provenance(
            {"sessions": [*store.provenance().get("sessions", []),
                          session_record(started, int(todo.sum()), where)]},
            remove=("running",))
        if study.verification:
            from uqscale.verify import verify_into

            with _timed(timings, "verification"):
                verify_into(study, store.directory)
        with _timed(timings, "collect"):
            results, failures = store.collect(size, _coords(study))
        return _analyse(store, study, design, results, failures, timings, int(todo.sum()))


def _run_missing(store: RunStore, study: Study, design: xr.Dataset, todo: np.ndarray,
                 client, batch_size: int | None, progress: bool | None,
                 timings: dict[str, float], session: int) -> dict:
    names = design_columns(study)
    values = np.column_stack([design[n].values for n in names])
    output_dims = {o.name: o.dims for o in study.outputs}
    bar = Progress(int(todo.sum()), enabled=progress)
    pipeline = Pipeline.from_study(study, workdir_root=store.directory / "work")

    def keep(result: BatchResult) -> None:
        timings["model"] += result.seconds
        with _timed(timings, "store_batches"):
            store.write_batch(result, output_dims, session)
        bar.update(result.stop - result.start, len(result.failures), result.retried)

    with _timed(timings, "cluster_stop"), ExitStack() as cluster:
        if client is None:
            with _timed(timings, "cluster_start"):
                client = cluster.enter_context(open_client(study.execution, study.base_dir))
        where = describe(client)
        if bar.enabled and where["dashboard"]:
            print(f"Dask dashboard: {where['dashboard']}", flush=True)
        with _timed(timings, "ensemble"):
            run_batches(client, pipeline, names, values, _ranges(todo), keep,
                        batch_size or study.execution.batch_size)
        bar.close()
    timings["cluster_stop"] -= timings.get("cluster_start", 0.0) + timings["ensemble"]
    return where


def _analyse(store: RunStore, study: Study, design: xr.Dataset, results: xr.Dataset,
             failures: list[Failure], timings: dict[str, float], ran: int,
             blocks: dict[str, tuple[int, int]] | None = None) -> RunResult:
    with _timed(timings, "analysis"):
        analyses, errors = analyze_all(study, design, results, blocks)
    with _timed(timings, "store_analyses"):
        indices = indices_document(study.name, design.sizes["sample"], len(failures),
                                   analyses, errors)
        store.write_analyses(analyses, indices)
    store.update_provenance({"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                             "seconds": {k: round(v, 4) for k, v in timings.items()}})
    from uqscale.report.html import report_after_run

    report_after_run(store.directory)   # report.html from the files just written
    return RunResult(store.directory, design, results, failures, analyses, indices, timings,
                     ran)


def _runs_alike(study: Study) -> dict:
    """The parts of a study's file form that decide its samples and results
    (verification cases do not)."""
    return {k: v for k, v in study.to_dict().items() if k != "verification"}


def _coords(study: Study) -> dict[str, dict]:
    return {o.name: dict(o.coords) for o in study.outputs}


def _ranges(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in ``mask`` as ``[start, stop)`` ranges."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall time of the block to ``timings[stage]``."""
    began = time.perf_counter()
    timings.setdefault(stage, 0.0)
    try:
        yield
    finally:
        timings[stage] += time.perf_counter() - began
