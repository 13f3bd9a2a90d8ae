"""The Python API of a whole run: the same pipeline as ``uqscale run``."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from uqscale.analysis.run_all import analyze_all
from uqscale.design import build_design
from uqscale.errors import StudyError
from uqscale.execute.cluster import open_client
from uqscale.execute.runner import run_batches
from uqscale.models.evaluate import BatchResult, Failure, Pipeline
from uqscale.provenance import provenance
from uqscale.report.indices import indices_document
from uqscale.store import RunStore, write_json
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
    """Wall seconds per stage: design, store_create, cluster_start, ensemble (of
    which model: the batches' own time, summed over workers, and store_batches),
    cluster_stop, collect, analysis, store_analyses."""


def default_directory(study: Study) -> Path:
    """``output.directory`` of the study, or ``runs/NAME``; a suffix ``-2``, ``-3`` ...
    is added when that folder already holds something."""
    base = Path(study.output.directory or Path("runs") / study.name)
    candidate, k = base, 1
    while candidate.exists() and any(candidate.iterdir()):
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def run(study: Study, out: str | Path | None = None, *, client=None,
        given_text: str | None = None, batch_size: int | None = None) -> RunResult:
    """Sample the study's designs, run its model graph on Dask, analyse, store.

    Parameters
    ----------
    study
        The study to run.
    out
        Run folder (must not exist or be empty); default :func:`default_directory`.
    client
        A Dask client to run on; default the cluster named by ``study.execution``.
    given_text
        The study file's text, recorded as given (default: the resolved study).
    batch_size
        Samples per task; default ``execution.batch_size`` or automatic.

    Returns
    -------
    RunResult
    """
    timings: dict[str, float] = {"model": 0.0, "store_batches": 0.0}
    given_text = given_text or study_to_yaml(study)
    directory = Path(out) if out is not None else default_directory(study)
    with _timed(timings, "design"):
        design = build_design(study)
    record = provenance(given_text, study.seed)
    with _timed(timings, "store_create"):
        store = RunStore.create(directory, study, given_text, design, record)
    names = tuple(i.name for i in study.inputs)
    values = np.column_stack([design[n].values for n in names])
    output_dims = {o.name: o.dims for o in study.outputs}

    def keep(result: BatchResult) -> None:
        timings["model"] += result.seconds
        with _timed(timings, "store_batches"):
            store.write_batch(result, output_dims)

    pipeline = Pipeline.from_study(study)
    todo = [(0, len(values))]
    size = batch_size or study.execution.batch_size
    try:
        with _timed(timings, "cluster_stop"), ExitStack() as cluster:
            if client is None:
                with _timed(timings, "cluster_start"):
                    client = cluster.enter_context(open_client(study.execution))
            with _timed(timings, "ensemble"):
                run_batches(client, pipeline, names, values, todo, keep, size)
        timings["cluster_stop"] -= timings.get("cluster_start", 0.0) + timings["ensemble"]
    except StudyError:
        # The model breaks the study's contract: no sample can succeed, keep nothing.
        shutil.rmtree(directory, ignore_errors=True)
        raise
    with _timed(timings, "collect"):
        results, failures = store.collect(len(values),
                                          {o.name: o.coords for o in study.outputs})
    with _timed(timings, "analysis"):
        analyses, errors = analyze_all(study, design, results)
    with _timed(timings, "store_analyses"):
        indices = indices_document(study.name, len(values), len(failures), analyses, errors)
        store.write_analyses(analyses, indices)
    write_json(directory / "provenance.json",
               record | {"finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                         "seconds": {k: round(v, 4) for k, v in timings.items()}})
    return RunResult(directory, design, results, failures, analyses, indices, timings)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the wall time of the block to ``timings[stage]``."""
    began = time.perf_counter()
    timings.setdefault(stage, 0.0)
    try:
        yield
    finally:
        timings[stage] += time.perf_counter() - began
