"""Evaluating the model graph on one batch of samples, inside a Dask task.

A failing sample is recorded and dropped from later steps; it never stops the batch.
A model that breaks the study's contract (missing outputs, wrong shapes) raises
:class:`StudyError`, which stops the run: no sample of such a model can succeed.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.models.loading import load_callable
from uqscale.study.graph import step_order
from uqscale.study.model import ModelStep, Study

TRACEBACK_LINES = 12


@dataclass(frozen=True)
class Failure:
    """One failed sample: where, why, and the end of the traceback."""

    sample: int
    step: str
    error: str
    message: str
    traceback: str = ""
    attempts: int = 1


@dataclass
class BatchResult:
    """Outputs of samples ``start .. stop - 1`` (NaN where failed) and their failures."""

    start: int
    stop: int
    outputs: dict[str, np.ndarray]
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Pipeline:
    """What a worker needs to evaluate a batch: the ordered steps and the policies."""

    steps: tuple[tuple[int, ModelStep], ...]
    base_dir: Path | None
    retries: int
    nonfinite: str

    @classmethod
    def from_study(cls, study: Study) -> Pipeline:
        """The study's steps in dependency order, with its execution policies."""
        order = step_order(study.models, study.input_names)
        return cls(tuple((i, study.models[i]) for i in order), study.base_dir,
                   study.execution.retries, study.execution.nonfinite)


def evaluate_batch(pipeline: Pipeline, start: int, inputs: Mapping[str, np.ndarray]) -> BatchResult:
    """Run every step on the batch whose first sample has index ``start``.

    ``seconds`` of the result is the time spent in the steps themselves (not in
    importing them), which is what sizing batches needs.
    """
    seconds = 0.0
    size = len(next(iter(inputs.values())))
    values: dict[str, np.ndarray] = dict(inputs)
    alive = np.ones(size, dtype=bool)
    outputs: dict[str, np.ndarray] = {}
    failures: list[Failure] = []
    for index, step in pipeline.steps:
        rows = np.flatnonzero(alive)
        if not len(rows):
            break
        function = load_callable(step.python, pipeline.base_dir, f"models[{index}].python")
        kwargs = {name: values[name][rows] for name in step.inputs}
        began = time.perf_counter()
        produced, failed = _run_step(function, step, index, kwargs, pipeline.retries)
        seconds += time.perf_counter() - began
        failed.update(_nonfinite(produced, failed, pipeline.nonfinite))
        for name, array in produced.items():
            full = np.full((size, *array.shape[1:]), np.nan)
            full[rows] = array
            full[rows[list(failed)]] = np.nan
            values[name] = outputs[name] = full
        for local, (error, message, tb, attempts) in sorted(failed.items()):
            alive[rows[local]] = False
            failures.append(Failure(start + int(rows[local]), step.name, error, message,
                                    tb, attempts))
    # Outputs of steps that never ran (every sample failed before) are absent; the
    # store fills them with NaN in the shape other batches give them.
    return BatchResult(start, start + size, outputs, failures, seconds)


def _run_step(function, step: ModelStep, index: int, kwargs: dict[str, np.ndarray],
              retries: int) -> tuple[dict[str, np.ndarray], dict[int, tuple]]:
    """Outputs ``(rows, *field)`` of one step and ``{row: failure details}``."""
    count = len(next(iter(kwargs.values()))) if kwargs else 1
    if step.vectorized:
        try:
            returned = function(**kwargs, **step.parameters)
            return _check_outputs(returned, step, index, count), {}
        except StudyError:
            raise
        except Exception:
            if count == 1 and retries == 0:
                return {}, {0: _describe(1)}
            # Isolate the failing samples by running them one at a time.
    per_sample = [_call_one(function, step, index, kwargs, row, retries) for row in range(count)]
    failed = {row: r for row, r in enumerate(per_sample) if isinstance(r, tuple)}
    good = [r for r in per_sample if isinstance(r, dict)]
    if not good:
        return {}, failed
    # Every good result holds one row: arrays (1, *field).
    combined = {name: np.full((count, *value.shape[1:]), np.nan)
                for name, value in good[0].items()}
    for row, result in enumerate(per_sample):
        if isinstance(result, dict):
            for name, value in result.items():
                combined[name][row] = value[0]
    return combined, failed


def _call_one(function, step: ModelStep, index: int, kwargs: dict[str, np.ndarray], row: int,
              retries: int) -> dict[str, np.ndarray] | tuple:
    if step.vectorized:
        arguments = {k: v[row: row + 1] for k, v in kwargs.items()}
    else:
        arguments = {k: v[row].item() for k, v in kwargs.items()}
    attempt = 0
    while True:
        attempt += 1
        try:
            returned = function(**arguments, **step.parameters)
            if step.vectorized:
                return _check_outputs(returned, step, index, 1)
            return _check_outputs({k: [v] for k, v in _as_mapping(returned, step, index).items()},
                                  step, index, 1, per_sample=True)
        except StudyError:
            raise
        except Exception:
            if attempt > retries:
                return _describe(attempt)


def _as_mapping(returned: Any, step: ModelStep, index: int) -> Mapping[str, Any]:
    if not isinstance(returned, Mapping):
        raise StudyError(f"models[{index}].python",
                         f"'{step.python}' must return a mapping from output name to value "
                         f"(got {type(returned).__name__})")
    return returned


def _check_outputs(returned: Any, step: ModelStep, index: int, count: int,
                   per_sample: bool = False) -> dict[str, np.ndarray]:
    """The declared outputs as float arrays ``(count, *field)``; contract breaches raise."""
    returned = _as_mapping(returned, step, index)
    result = {}
    for k, spec in enumerate(step.outputs):
        path = f"models[{index}].outputs[{k}]"
        if spec.name not in returned:
            raise StudyError(path, f"'{step.python}' did not return output '{spec.name}' "
                                   f"(it returned: {', '.join(map(str, returned)) or 'nothing'})")
        try:
            array = np.asarray(returned[spec.name], dtype=float)
        except (TypeError, ValueError):
            raise StudyError(path, f"output '{spec.name}' is not numeric") from None
        if array.ndim == 0 and not spec.dims:
            array = np.full(count, float(array))
        expected = 1 + len(spec.dims)
        if array.ndim != expected or array.shape[0] != count:
            what = "per sample" if per_sample else f"for a batch of {count}"
            got = array.shape[1:] if per_sample else array.shape
            needed = len(spec.dims) if per_sample else expected
            raise StudyError(path, f"output '{spec.name}' has shape {got} {what}; declared "
                                   f"dims {list(spec.dims)} need {needed} dimension(s)")
        for axis, dim in enumerate(spec.dims, start=1):
            if dim in spec.coords and array.shape[axis] != len(spec.coords[dim]):
                raise StudyError(f"{path}.coords.{dim}",
                                 f"has {len(spec.coords[dim])} values but the model returned "
                                 f"{array.shape[axis]} points along '{dim}'")
        result[spec.name] = array
    return result


def _describe(attempts: int) -> tuple[str, str, str, int]:
    """Type, message and traceback tail of the exception being handled."""
    error = sys.exc_info()[1]
    lines = traceback.format_exc().rstrip().splitlines()[-TRACEBACK_LINES:]
    return type(error).__name__, str(error), "\n".join(lines), attempts


def _nonfinite(produced: dict[str, np.ndarray], failed: dict[int, tuple],
               policy: str) -> dict[int, tuple]:
    if policy == "keep" or not produced:
        return {}
    bad: dict[int, tuple] = {}
    for name, array in produced.items():
        flat = array.reshape(len(array), -1)
        for row in np.flatnonzero(~np.isfinite(flat).all(axis=1)):
            if int(row) not in failed and int(row) not in bad:
                bad[int(row)] = ("NonFiniteOutput",
                                 f"output '{name}' is not finite "
                                 f"({flat[row][~np.isfinite(flat[row])][0]}); set "
                                 f"execution.nonfinite: keep to keep such samples", "", 1)
    return bad

