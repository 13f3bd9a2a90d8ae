"""Evaluating the model graph on one batch of samples, inside a Dask task.

Each step is a Python callable (per sample or vectorised) or an external program
(:mod:`uqscale.models.command`, per sample); both go through the same per-sample
failure and retry handling. A failing sample (an exception, a non-zero exit, a
timeout, a missing output) is recorded and dropped from later steps; it never stops
the batch. A result that breaks the step's contract (not a mapping, missing outputs,
wrong shapes) fails its sample as ``ContractError``, saying what was expected and what
came back (:mod:`uqscale.models.outputs`); a vectorised call that breaks it is retried
one sample at a time, so that only the samples at fault fail.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from uqscale.discrete import decode, is_string_valued
from uqscale.errors import StudyError
from uqscale.models.command import Command, SampleFailedError, prune_workdirs
from uqscale.models.isolated import call_in_child
from uqscale.models.loading import load_callable
from uqscale.models.outputs import (
    ContractError,
    FailureDetails,
    as_mapping,
    check_outputs,
    nonfinite_failures,
)
from uqscale.models.umbridge import UmbridgeClient, check_server
from uqscale.records import BatchResult, Failure
from uqscale.study.graph import step_order
from uqscale.study.model import ModelStep, Study

TRACEBACK_LINES = 12

Model = Callable[[int, dict[str, Any]], Any]
"""A step as ``model(sample, arguments)``: the first sample's index and the inputs'
values (floats, or arrays for a vectorised step)."""


@dataclass(frozen=True)
class Pipeline:
    """What a worker needs to evaluate a batch: the ordered steps and the policies."""

    steps: tuple[tuple[int, ModelStep], ...]
    base_dir: Path | None
    retries: int
    nonfinite: str
    commands: Mapping[int, Command] = field(default_factory=dict)
    workdir_root: Path | None = None
    swept: str | None = None  # a resolution sweep's parameter: config of umbridge steps
    in_child: bool = False
    """Run every Python call in a forked child, with or without a timeout, so that a
    sample that crashes its process fails alone (:mod:`uqscale.execute.isolation`)."""
    # h19 (issue 19.3): string categorical inputs travel as codes; the models get strings.
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The values of each string categorical input, in code order (:mod:`uqscale.discrete`)."""

    @classmethod
    def from_study(cls, study: Study, workdir_root: str | Path | None = None) -> Pipeline:
        """The study's steps in dependency order, with its execution policies.

        Parameters
        ----------
        study
            The study.
        workdir_root
            Folder for the work directories of command steps (``ROOT/STEP/SAMPLE``);
            by default a new folder in the system's temporary directory.

        Returns
        -------
        Pipeline
            The steps, their command steps resolved, ready to be sent to the workers.

        Raises
        ------
        StudyError
            For a command step whose program cannot be found or whose templates
            cannot be read or name unknown variables.
        """
        order = step_order(study.models, study.input_names)
        # A step without its own timeout takes the study's (execution.timeout).
        models = [
            dataclasses.replace(step, timeout=step.timeout or study.execution.timeout)
            for step in study.models
        ]
        if study.resolution is not None:
            # The swept parameter comes per sample from the design, like an input.
            swept = study.resolution.parameter
            models = [
                dataclasses.replace(
                    step,
                    inputs=(*step.inputs, swept),
                    parameters={k: v for k, v in step.parameters.items() if k != swept},
                )
                if swept in step.parameters
                else step
                for step in models
            ]
        commands = {
            i: Command.from_step(models[i], i, study.base_dir)
            for i in order
            if models[i].command is not None
        }
        root = None
        if commands:
            root = Path(
                workdir_root
                or Path(tempfile.gettempdir()) / f"uqscale-{study.name}-{uuid.uuid4().hex[:8]}"
            ).absolute()
        return cls(
            tuple((i, models[i]) for i in order),
            study.base_dir,
            study.execution.retries,
            study.execution.nonfinite,
            commands,
            root,
            study.resolution.parameter if study.resolution is not None else None,
            categories={
                i.name: tuple(i.params["values"])
                for i in study.inputs
                if is_string_valued(i.params)
            },
        )

    @property
    def stages(self) -> tuple[tuple[dict[str, float], tuple[int, ...]], ...]:
        """Runs of consecutive steps (in execution order) that need the same Dask
        worker resources: ``(resources, positions in steps)``."""
        stages: list[tuple[dict[str, float], list[int]]] = []
        for position, (_, step) in enumerate(self.steps):
            if stages and stages[-1][0] == dict(step.resources):
                stages[-1][1].append(position)
            else:
                stages.append((dict(step.resources), [position]))
        return tuple((resources, tuple(positions)) for resources, positions in stages)

    def check(self) -> None:
        """Import every Python step and parser as a worker would (raising
        :class:`StudyError` naming the field), without running anything."""
        for index, step in self.steps:
            if step.python is not None:
                load_callable(step.python, self.base_dir, f"models[{index}].python")
            if step.parser is not None:
                load_callable(step.parser, self.base_dir, f"models[{index}].parser")
            if step.umbridge is not None:  # the server's sizes, if it is up
                check_server(step, index, self.swept)


@dataclass
class BatchState:
    """A batch between stages: the result so far, every value by name (inputs and
    outputs), and which samples are still alive."""

    result: BatchResult
    values: dict[str, np.ndarray]
    alive: np.ndarray
    inputs: tuple[str, ...] = ()
    """The design's variables among ``values`` (a failure records their values)."""


def evaluate_batch(pipeline: Pipeline, start: int, inputs: Mapping[str, np.ndarray]) -> BatchResult:
    """Run every step on the batch whose first sample has index ``start``.

    ``seconds`` of the result is the time spent in the steps themselves (not in
    importing them), which is what sizing batches needs.

    Parameters
    ----------
    pipeline
        The steps and policies (:meth:`Pipeline.from_study`).
    start
        The design index of the batch's first sample.
    inputs
        The batch's input values by name, one array each, a row per sample.

    Returns
    -------
    BatchResult
        The outputs of the samples that succeeded and a :class:`Failure` for each other.
    """
    state = _run_steps(pipeline, _begin(start, inputs), range(len(pipeline.steps)))
    return _finish(pipeline, state)


def evaluate_stage(
    pipeline: Pipeline, stage: int, previous: BatchState | tuple[int, Mapping[str, np.ndarray]]
) -> BatchState | BatchResult:
    """Run the steps of one stage (see :attr:`Pipeline.stages`): the first stage
    takes ``(start, inputs)``, later ones the state the previous stage returned; the
    last returns the batch's result. Each stage is its own Dask task, so it can ask
    for the worker resources its steps need.

    Parameters
    ----------
    pipeline
        The steps and policies (:meth:`Pipeline.from_study`).
    stage
        The stage's position in :attr:`Pipeline.stages`.
    previous
        The state the previous stage returned, or ``(start, inputs)`` for the first stage
        (as :func:`evaluate_batch` takes them).

    Returns
    -------
    BatchState or BatchResult
        The state to hand to the next stage; the batch's result after the last stage.
    """
    state = previous if isinstance(previous, BatchState) else _begin(*previous)
    state = _run_steps(pipeline, state, pipeline.stages[stage][1])
    return _finish(pipeline, state) if stage == len(pipeline.stages) - 1 else state


def _begin(start: int, inputs: Mapping[str, np.ndarray]) -> BatchState:
    size = len(next(iter(inputs.values())))
    return BatchState(
        BatchResult(start, start + size, {}), dict(inputs), np.ones(size, dtype=bool), tuple(inputs)
    )


def _run_steps(pipeline: Pipeline, state: BatchState, positions: Iterable[int]) -> BatchState:
    result, values, alive = state.result, state.values, state.alive
    size = result.stop - result.start
    for position in positions:
        index, step = pipeline.steps[position]
        rows = np.flatnonzero(alive)
        if not len(rows):
            break
        model = _model(pipeline, index, step)
        kwargs = {name: _given(pipeline, name, values[name][rows]) for name in step.inputs}
        began = time.perf_counter()
        produced, failed, extra = _run_step(
            model, step, index, kwargs, result.start + rows, pipeline.retries
        )
        result.retried += extra
        result.seconds += time.perf_counter() - began
        failed.update(nonfinite_failures(produced, failed, pipeline.nonfinite))
        for name, array in produced.items():
            full = np.full((size, *array.shape[1:]), np.nan)
            full[rows] = array
            full[rows[list(failed)]] = np.nan
            values[name] = result.outputs[name] = full
        for local, (error, message, tb, attempts) in sorted(failed.items()):
            alive[rows[local]] = False
            at = {name: float(values[name][rows[local]]) for name in state.inputs}
            result.failures.append(
                Failure(
                    result.start + int(rows[local]), step.name, error, message, tb, attempts, at
                )
            )
    return state


def _given(pipeline: Pipeline, name: str, values: np.ndarray) -> np.ndarray:
    """What a model receives for ``name``: its strings for a string categorical (h19)."""
    known = pipeline.categories.get(name)
    return values if known is None else decode(values, known)


def _finish(pipeline: Pipeline, state: BatchState) -> BatchResult:
    for command in pipeline.commands.values():
        assert pipeline.workdir_root is not None  # set whenever the study has command steps
        prune_workdirs(pipeline.workdir_root, command.step.name)
    # Outputs of steps that never ran (every sample failed before) are absent; the
    # store fills them with NaN in the shape other batches give them.
    return state.result


def _model(pipeline: Pipeline, index: int, step: ModelStep) -> Model:
    """Step ``models[index]`` as ``model(sample, arguments)``, whatever its kind."""
    if step.umbridge is not None:  # uqscale.models.umbridge: several samples in flight
        return UmbridgeClient(step, index, pipeline.swept)
    if index in pipeline.commands:
        command, root = pipeline.commands[index], pipeline.workdir_root
        assert root is not None  # set whenever the study has command steps
        return lambda sample, arguments: command.run(root, sample, arguments)
    assert step.python is not None  # neither umbridge nor command: a python step
    function = load_callable(step.python, pipeline.base_dir, f"models[{index}].python")
    if step.timeout is None and not pipeline.in_child:
        return lambda sample, arguments: function(**arguments, **step.parameters)

    def isolated(sample: int, arguments: Mapping[str, Any]) -> Any:
        # A vectorised call holds a whole batch: it gets the timeout of each sample.
        count = len(next(iter(arguments.values()))) if step.vectorized and arguments else 1
        return call_in_child(
            function,
            {**arguments, **step.parameters},
            step.timeout * count if step.timeout else None,
        )

    return isolated


def _run_step(
    model: Model,
    step: ModelStep,
    index: int,
    kwargs: dict[str, np.ndarray],
    samples: np.ndarray,
    retries: int,
) -> tuple[dict[str, np.ndarray], dict[int, FailureDetails], int]:
    """Outputs ``(rows, *field)`` of one step, ``{row: failure details}`` and the
    number of extra attempts made; ``samples`` holds the design indices of the rows."""
    count = len(samples)
    if step.vectorized:
        try:
            returned = model(int(samples[0]), kwargs)
            return check_outputs(returned, step, index, count), {}, 0
        except StudyError:  # a program gone from the worker: no sample can run
            raise
        except Exception:  # ContractError too: the samples at fault are found below
            if count == 1 and retries == 0:
                return {}, {0: _describe(1)}, 0
            # Isolate the failing samples by running them one at a time.
    # A model with a map method (an umbridge step) runs several samples at once.
    outcomes = list(
        getattr(model, "map", map)(
            lambda row: _call_one(model, step, index, kwargs, row, int(samples[row]), retries),
            range(count),
        )
    )
    retried = sum(attempts - 1 for _, attempts in outcomes)
    per_sample = [outcome for outcome, _ in outcomes]
    failed = {row: r for row, r in enumerate(per_sample) if isinstance(r, tuple)}
    good = [r for r in per_sample if isinstance(r, dict)]
    if not good:
        return {}, failed, retried
    # Every good result holds one row: arrays (1, *field).
    combined = {name: np.full((count, *value.shape[1:]), np.nan) for name, value in good[0].items()}
    for row, result in enumerate(per_sample):
        if isinstance(result, dict):
            for name, value in result.items():
                combined[name][row] = value[0]
    return combined, failed, retried


def _call_one(
    model: Model,
    step: ModelStep,
    index: int,
    kwargs: dict[str, np.ndarray],
    row: int,
    sample: int,
    retries: int,
) -> tuple[dict[str, np.ndarray] | FailureDetails, int]:
    """One sample's outputs (or failure details) and the attempts it took."""
    if step.vectorized:
        arguments = {k: v[row : row + 1] for k, v in kwargs.items()}
    else:
        arguments = {k: v[row].item() for k, v in kwargs.items()}
    attempt = 0
    while True:
        attempt += 1
        try:
            returned = model(sample, arguments)
            if step.vectorized:
                return check_outputs(returned, step, index, 1), attempt
            return check_outputs(
                {k: [v] for k, v in as_mapping(returned, step, index).items()},
                step,
                index,
                1,
                per_sample=True,
            ), attempt
        except ContractError:
            return _describe(attempt), attempt  # the same result again: no retry
        except StudyError:
            raise
        except Exception:
            if attempt > retries:
                return _describe(attempt), attempt


def _describe(attempts: int) -> FailureDetails:
    """Type, message and traceback tail of the exception being handled."""
    error = sys.exc_info()[1]
    if isinstance(error, SampleFailedError):
        return error.kind, str(error), error.details, attempts
    lines = traceback.format_exc().rstrip().splitlines()[-TRACEBACK_LINES:]
    return type(error).__name__, str(error), "\n".join(lines), attempts
