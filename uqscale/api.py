"""The Python API of whole runs: the same pipeline as ``uqscale run``, ``resume`` and
``analyze``.

One pipeline, :func:`_complete`: check the model code, run what is missing (stopping
early on a broken model), collect, analyse, write; :class:`RunOptions` says how, and
a :class:`~uqscale.timer.StageTimer` records how long each stage took.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from uqscale.analysis.run_all import analyze_all
from uqscale.assimilation.state import checked_study
from uqscale.design import blocks_of, build_design, design_columns
from uqscale.errors import RunInterruptedError, StoppedEarlyError, StudyError, UqscaleError
from uqscale.execute.cluster import describe, open_client
from uqscale.execute.failfast import FailFast
from uqscale.execute.inprocess import run_in_process
from uqscale.execute.progress import Progress, Ticker
from uqscale.execute.runner import run_batches
from uqscale.exitcodes import ExitCode, verdict
from uqscale.models.codehash import changed_file, code_hashes
from uqscale.models.signatures import check_models
from uqscale.provenance import provenance, session_record
from uqscale.records import BatchResult, Failure
from uqscale.report.indices import indices_document
from uqscale.status import stored_warnings
from uqscale.store import (
    RETRYABLE,
    RunStore,
    StoredBatch,
    write_json,
    write_netcdf,
    write_text,
)
from uqscale.study.diff import first_difference, reusable_blocks, run_form, samples_difference
from uqscale.study.files import study_to_yaml
from uqscale.study.model import Study
from uqscale.timer import StageTimer

logger = logging.getLogger("uqscale")

RETRY_POLICIES = ("lost", "failed", "all")
"""Which stored samples a session runs again: ``lost`` only those of lost workers
(the default), ``failed`` every failed one (``--retry-failed``), ``all`` every
sample (``--rerun``, recomputing the run in place)."""


@dataclass(frozen=True)
class RunOptions:
    """How a run goes (what it computes is the study's business).

    Parameters
    ----------
    report
        Write ``report.html`` after the analyses; None: ``output.report`` of the study.
    progress
        Draw a progress bar (None: when someone watches, a terminal or a notebook kernel:
        :func:`uqscale.execute.progress.interactive`).
    batch_size
        Samples per task; default ``execution.batch_size`` or automatic.
    retry
        One of :data:`RETRY_POLICIES`.
    force
        When the folder holds a run of a different study, start afresh in a new
        folder beside it instead of refusing.
    in_process
        On the embedded default cluster (no ``client``), run a small ensemble without
        starting a cluster (:mod:`uqscale.execute.inprocess`): None decides from the
        probe; False always starts the cluster (``--cluster local``).
    """

    report: bool | None = None
    progress: bool | None = False
    batch_size: int | None = None
    retry: str = "lost"
    force: bool = False
    in_process: bool | None = None

    def __post_init__(self) -> None:
        if self.retry not in RETRY_POLICIES:
            raise ValueError(f"retry must be one of {RETRY_POLICIES} (got {self.retry!r})")

    @classmethod
    def of(
        cls, options: RunOptions | None, retry_failed: bool = False, **changes: Any
    ) -> RunOptions:
        """``options`` (default: the defaults) with keyword changes.

        Parameters
        ----------
        options
            The options to start from (None: the defaults).
        retry_failed
            The older spelling of ``retry="failed"``.
        **changes
            Fields to change.

        Returns
        -------
        RunOptions
        """
        if retry_failed:
            changes["retry"] = "failed"
        return dataclasses.replace(options or cls(), **changes)


@dataclass
class RunResult:
    """What a run produced: the folder on disk and its contents in memory."""

    directory: Path
    design: xr.Dataset
    results: xr.Dataset
    failures: list[Failure]
    analyses: xr.DataTree
    """A node per analysis and output (:func:`uqscale.analysis.run_all.analyze_all`)."""
    indices: dict[str, Any]
    timings: dict[str, float]
    """Wall seconds per stage of this session: design, store_create, cluster_start,
    ensemble (of which model: the batches' own time, summed over workers, and
    store_batches: 0, the workers store their batches; ensemble_busy: from the first
    submit to the last receipt; ensemble_launcher_cpu: the launcher's processor time
    meanwhile), cluster_stop, collect (writing the virtual results.nc), analysis,
    store_analyses, report, total."""
    ran: int = 0
    """Samples evaluated in this session (0 when everything was already done)."""
    kept_failed: int = 0
    """Failed samples of earlier sessions that this session did not run again."""
    warnings: dict[str, int] = field(default_factory=dict)
    """Warnings the models raised over the whole run, counted by ``"Category: message"``."""
    study: Study | None = None
    """The study analysed."""

    @property
    def final_outputs(self) -> tuple[str, ...]:
        """Outputs of the steps whose outputs no other step reads (the macro end of
        the model graph), in step order."""
        if self.study is None:
            return tuple(self.indices["outputs"])
        read = {name for step in self.study.models for name in step.inputs}
        return tuple(
            o.name
            for step in self.study.models
            if not any(o.name in read for o in step.outputs)
            for o in step.outputs
        )

    @property
    def verdict(self) -> ExitCode:
        """What the run says, as the exit code ``uqscale`` gives it
        (:mod:`uqscale.exitcodes`)."""
        return verdict(
            self.design.sizes["sample"], len(self.failures), len(self.indices.get("errors", {}))
        )


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


def run(
    study: Study,
    out: str | Path | None = None,
    *,
    client: Any = None,
    given_text: str | None = None,
    options: RunOptions | None = None,
    **changes: Any,
) -> RunResult:
    """Sample the study's designs, run its model graph on Dask, analyse, store.

    A folder that already holds a run of the same study is resumed: only missing
    samples (and failures worth retrying) are computed. A study that differs from
    the stored one only in analyses that need no new samples is re-analysed in place.

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
    options
        How to run (:class:`RunOptions`).
    **changes
        Fields of :class:`RunOptions` given one by one (``batch_size=8``), and
        ``retry_failed=True`` for ``retry="failed"``.

    Returns
    -------
    RunResult

    Raises
    ------
    StoppedEarlyError
        When the first samples all failed alike (``execution.fail_fast``).
    RunInterruptedError
        On Ctrl-C; the finished batches are stored.
    """
    options = RunOptions.of(options, **changes)
    timer = StageTimer()
    directory = Path(out) if out is not None else default_directory(study)
    if RunStore.holds_run(directory):
        store = RunStore.open(directory)
        stored = store.study()
        change = first_difference(run_form(stored), run_form(study))
        if change is None:
            return _complete(store, study, client, options, timer)
        if samples_difference(stored, study) is None and _adopt_analyses(
            store, stored, study, change, given_text, None
        ):
            return _complete(store, study, client, options, timer)
        if not options.force:
            raise UqscaleError(
                f"{directory} holds a run of a different study "
                f"({change}); use --force to start afresh in a new folder"
            )
        directory = fresh_directory(directory)
    given_text = given_text or study_to_yaml(study)
    # h20c (issue 20.1): a carried state's step is checked through its forecast study.
    check_models(checked_study(study))  # a missing program, model or argument fails first
    with timer.stage("design"):
        # h20a (issue 20.2): an assimilation study's cycles are runs of their own.
        design = (
            build_design(study) if study.analysis or not study.assimilate else _no_samples(study)
        )
    record = provenance(given_text, study.seed) | {
        "study_dir": str(study.base_dir) if study.base_dir else None,
        "code": code_hashes(study),
    }
    with timer.stage("store_create"):
        store = RunStore.create(directory, study, given_text, design, record)
    try:
        return _complete(store, study, client, options, timer)
    except StudyError:
        # h16: a folder is removed only when it stores no batch; else it stays resumable.
        if not store.part_files():
            import shutil

            shutil.rmtree(directory, ignore_errors=True)
        raise


def resume(
    directory: str | Path,
    *,
    client: Any = None,
    options: RunOptions | None = None,
    workers: int | None = None,
    **changes: Any,
) -> RunResult:
    """Finish an interrupted run: compute only what is missing, then analyse.

    Parameters
    ----------
    directory
        The run folder.
    client
        A Dask client to run on; default the cluster named by the stored study.
    options
        How to run (:class:`RunOptions`); ``retry="failed"`` also runs every failed
        sample again (lost workers always are).
    workers
        Override ``execution.workers`` of the stored study.
    **changes
        Fields of :class:`RunOptions` one by one, as for :func:`run`.

    Returns
    -------
    RunResult
        As :func:`run`'s.
    """
    store = RunStore.open(Path(directory))
    study = store.study()
    if workers is not None:
        study = study.replace(execution=dataclasses.replace(study.execution, workers=workers))
    return _complete(store, study, client, RunOptions.of(options, **changes), StageTimer())


def analyze(
    directory: str | Path,
    study: Study | None = None,
    *,
    study_file: str | Path | None = None,
    given_text: str | None = None,
    options: RunOptions | None = None,
) -> RunResult:
    """Re-run the analyses of a run folder (or those of ``study``, which must have
    the same inputs and models) from its stored results, without running models.
    A different study's analyses become the run's: ``study.yaml``, the design's
    blocks and provenance (``reanalysed``, with ``study_file``) record them.

    Parameters
    ----------
    directory
        The run folder.
    study
        Take the analyses from this study (default: the stored one).
    study_file
        Where ``study`` came from, recorded in provenance.
    given_text
        ``study``'s file text as given.
    options
        Only ``report`` and ``progress`` (a line while analyses run) apply.

    Returns
    -------
    RunResult
        The stored results with the new analyses.
    """
    store = RunStore.open(Path(directory))
    stored = store.study()
    options = options or RunOptions()
    with store.lock():
        if study is not None:
            moved = samples_difference(stored, study)
            if moved is not None:
                raise UqscaleError(
                    f"{store.directory}: --study changes more than the "
                    f"analyses ({moved}); run it instead"
                )
            change = first_difference(run_form(stored), run_form(study))
            if change is not None and not _adopt_analyses(
                store, stored, study, change, given_text, study_file
            ):
                raise UqscaleError(
                    f"{store.directory}: an analysis needs a design this "
                    f"run does not hold; add it to the study and run it "
                    f"(resume computes only the new samples)"
                )
        study = study or stored
        design = store.design()
        timer = StageTimer()
        results, failures = store.collect(design.sizes["sample"], _coords(stored))
        return _analyse(store, study, design, results, failures, options, timer)


def _adopt_analyses(
    store: RunStore,
    stored: Study,
    study: Study,
    change: str,
    given_text: str | None,
    study_file: str | Path | None,
) -> bool:
    """Make ``study``'s analyses the run's when its stored samples serve them all:
    write ``study.yaml`` (and the text as given), the design's blocks, and a
    ``reanalysed`` entry in provenance. False (and nothing written) otherwise."""
    design = store.design()
    blocks = reusable_blocks(study, stored, design)
    if blocks is None:
        return False
    design.attrs["blocks"] = json.dumps(blocks_of(design) | {k: list(v) for k, v in blocks.items()})
    write_netcdf(store.directory / "design.nc", design)
    write_text(store.directory / "study.yaml", study_to_yaml(study))
    if given_text is not None:
        write_text(store.directory / "study.given.yaml", given_text)
    entry = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "change": change,
        "study_file": str(study_file) if study_file else None,
    }
    store.update_provenance({"reanalysed": [*store.provenance().get("reanalysed", []), entry]})
    logger.info("analyses changed (%s): re-analysing the stored samples in place", change)
    return True


def _complete(
    store: RunStore, study: Study, client: Any, options: RunOptions, timer: StageTimer
) -> RunResult:
    """Run what is missing in ``store``, then collect, analyse and write."""
    timer.add("model", 0.0)
    timer.add("store_batches", 0.0)
    with store.lock():
        if study.assimilate is not None:  # h20a (issue 20.2): its cycles come first
            from uqscale.assimilation.cycles import run_cycles

            run_cycles(store, study, client, options)
        design = store.design()
        size = design.sizes["sample"]
        done, failures = store.sample_state(size)
        code = _checked_code(store, study, options)
        todo = _todo(done, failures, options.retry)
        kept = sum(1 for f in failures if not todo[f.sample])
        session = store.next_session()
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        where, warned = None, Counter[str]()
        if todo.any():
            check_models(checked_study(study))
            store.update_provenance(
                {"running": {"session": session, "started": started, "samples": int(todo.sum())}},
                remove=("stopped",),
            )
            try:
                where = _run_missing(
                    store, study, design, todo, client, options, timer, session, warned
                )
            except StoppedEarlyError as error:
                store.update_provenance({"stopped": str(error).splitlines()[0]})
                raise
            except KeyboardInterrupt:
                stored = int(store.sample_state(size)[0].sum())
                raise RunInterruptedError(
                    f"interrupted: {stored} of {size} samples are stored in "
                    f"{store.directory}; `uqscale resume {store.directory}` "
                    f"goes on"
                ) from None
            finally:
                _end_session(store, started, int(todo.sum()), where, code, warned)
        if study.verification:
            from uqscale.verify import verify_into

            with timer.stage("verification"):
                verify_into(study, store.directory)
        with timer.stage("collect"):
            results, failures = store.collect(size, _coords(study))
        result = _analyse(store, study, design, results, failures, options, timer, launch=True)
        result.ran, result.kept_failed = int(todo.sum()), kept
        return result


def _checked_code(store: RunStore, study: Study, options: RunOptions) -> dict[str, str]:
    """The hashes of the study's model code now; refuse (one line) when they differ
    from the recorded ones and the session would keep results of the old code."""
    now = code_hashes(study)
    recorded = store.provenance().get("code")
    changed = changed_file(recorded, now) if recorded is not None else None
    if changed is not None and options.retry == "lost":
        raise UqscaleError(
            f"{store.directory}: the model code changed since this run "
            f"started ({changed}); add --retry-failed to recompute the "
            f"failed samples or --rerun to recompute every sample in place"
        )
    return now


def _todo(done: np.ndarray, failures: list[Failure], retry: str) -> np.ndarray:
    """Samples this session runs, under retry policy ``retry``."""
    if retry == "all":
        return np.ones_like(done)
    todo = ~done
    for failure in failures:
        if retry == "failed" or failure.error in RETRYABLE:
            todo[failure.sample] = True
    return todo


def _end_session(
    store: RunStore,
    started: str,
    samples: int,
    where: dict[str, Any] | None,
    code: dict[str, str],
    warned: Counter[str],
) -> None:
    """Record the session in provenance (even when it was stopped) and add the
    warnings its models raised to ``warnings.json``."""
    store.update_provenance(
        {
            "sessions": [
                *store.provenance().get("sessions", []),
                session_record(started, samples, where),
            ],
            "code": code,
        },
        remove=("running",),
    )
    if warned:
        total = Counter(stored_warnings(store)) + warned
        write_json(store.directory / "warnings.json", dict(total))


def _run_missing(
    store: RunStore,
    study: Study,
    design: xr.Dataset,
    todo: np.ndarray,
    client: Any,
    options: RunOptions,
    timer: StageTimer,
    session: int,
    warned: Counter[str],
) -> dict[str, Any] | None:
    """Evaluate the samples ``todo`` on Dask, storing each batch as it arrives."""
    from uqscale.execute.workerpath import study_folder_on_workers
    from uqscale.models.evaluate import Pipeline

    names = design_columns(study)
    values = np.column_stack([design[n].values for n in names])
    output_dims = {o.name: o.dims for o in study.outputs}
    bar = Progress(int(todo.sum()), enabled=options.progress)
    pipeline = Pipeline.from_study(study, workdir_root=store.directory / "work")
    fail_fast = FailFast(
        study.execution.fail_fast, f"uqscale resume {store.directory} --retry-failed"
    )

    def keep(result: BatchResult, warnings: Counter[str]) -> None:
        # Stored by the worker that ran it (store_batches: the receipts' handling).
        timer.add("model", result.seconds)
        warned.update(warnings)
        bar.update(result.stop - result.start, len(result.failures), result.retried)
        fail_fast.update(result)
        if isinstance(result, StoredBatch):  # hashed by its writer: collect need not
            store.trust(result)

    ranges = _ranges(todo)
    writer = store.part_writer(output_dims, session)
    batch_size = options.batch_size or study.execution.batch_size
    if _may_run_in_process(study, client, options, pipeline):
        with timer.stage("ensemble"):
            ranges = run_in_process(pipeline, names, values, ranges, keep, writer, batch_size)
        if not ranges:
            bar.close()
            return {"scheduler": None, "workers": 1, "dashboard": None, "in_process": True}
    earlier = timer.seconds.get("ensemble", 0.0)
    where = None
    with timer.stage("cluster_stop"), ExitStack() as cluster:
        if client is None:
            with timer.stage("cluster_start"):
                client = cluster.enter_context(
                    open_client(study.execution, study.base_dir, shared_dir=store.directory)
                )
        cluster.enter_context(study_folder_on_workers(client, study.base_dir))
        cluster.callback(bar.close)
        where = dict(describe(client))
        logger.debug("running %d samples on %s", sum(b - a for a, b in ranges), where)
        if bar.enabled and where["dashboard"]:  # only a dashboard that serves pages
            logger.info("Dask dashboard: %s", where["dashboard"])
        with timer.stage("ensemble"):
            throughput = run_batches(
                client, pipeline, names, values, ranges, keep, batch_size, store=writer
            )
        # What the launcher's processor spent on the batches, and the wall time from
        # the first submit to the last receipt (the ensemble less its start-up).
        timer.add("ensemble_launcher_cpu", throughput.launcher_seconds)
        timer.add("ensemble_busy", throughput.busy_seconds)
    # cluster_stop is what closing took: the whole block less its parts.
    timer.add(
        "cluster_stop",
        -(timer.seconds.get("cluster_start", 0.0) + timer.seconds["ensemble"] - earlier),
    )
    return where


def _may_run_in_process(study: Study, client: object, options: RunOptions, pipeline: Any) -> bool:
    """Whether the ensemble may skip the cluster when small: the embedded default
    (no client given, ``cluster: local``, not forced with ``in_process=False``) and
    no step asking for worker resources."""
    return (
        client is None
        and options.in_process is not False
        and study.execution.cluster == "local"
        and study.execution.profile is None  # a profile asks for its cluster
        and len(pipeline.stages) == 1
        and not pipeline.stages[0][0]
    )


def _analyse(
    store: RunStore,
    study: Study,
    design: xr.Dataset,
    results: xr.Dataset,
    failures: list[Failure],
    options: RunOptions,
    timer: StageTimer,
    launch: bool = False,
) -> RunResult:
    """Analyse, write ``analyses.nc``, ``indices.json`` and (unless switched off)
    the report, and record the stages' times; ``launch``: this ends a launch of
    ``run``/``resume``, whose whole wall time provenance adds to ``launch_seconds``."""
    with timer.stage("analysis"), Ticker("analysing", options.progress):
        analyses = analyze_all(study, design, results, blocks_of(design))
    with timer.stage("store_analyses"):
        indices = indices_document(study.name, design.sizes["sample"], len(failures), analyses)
        if study.assimilate is not None:  # h20a (issue 20.5)
            from uqscale.assimilation.results import indices_entry

            indices["assimilation"] = indices_entry(store.directory)
        store.write_analyses(analyses, indices)
    launches = store.provenance().get("launch_seconds", []) if launch else None
    if study.output.report if options.report is None else options.report:
        from uqscale.report.html import report_after_run

        if launches is not None:  # the report shows the launch up to its own start
            store.update_provenance({"launch_seconds": [*launches, round(timer.total(), 4)]})
        with timer.stage("report"):
            report_after_run(store.directory)  # report.html from the files just written
    total = timer.total()  # read once: the timings and provenance give the same value
    timer.add("total", total)
    if launches is not None:
        store.update_provenance({"launch_seconds": [*launches, round(total, 4)]})
    logger.debug("seconds per stage: %s", {k: round(v, 3) for k, v in timer.seconds.items()})
    store.update_provenance(
        {
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": {k: round(v, 4) for k, v in timer.seconds.items()},
        }
    )
    return RunResult(
        store.directory,
        design,
        results,
        failures,
        analyses,
        indices,
        dict(timer.seconds),
        warnings=stored_warnings(store),
        study=study,
    )


def _no_samples(study: Study) -> xr.Dataset:
    """h20a (issue 20.2): the empty design of an assimilation study without analyses."""
    empty = {name: ("sample", np.zeros(0)) for name in study.input_names}
    return xr.Dataset(empty, coords={"sample": np.arange(0)}, attrs={"blocks": "{}"})


def _coords(study: Study) -> dict[str, dict[str, Any]]:
    return {o.name: dict(o.coords) for o in study.outputs}


def _ranges(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in ``mask`` as ``[start, stop)`` ranges."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
