"""Checks of a study's model steps that need no run: do the Python functions accept
what the steps pass them, do command steps' programs exist, and (``validate --try``)
do vectorised steps run on a tiny batch of the inputs' medians.

Each problem is one line naming the step's field and the argument, e.g.
``models[0].parameters.qq: function pkpd:absorb has no parameter 'qq'``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.models.loading import load_callable
from uqscale.study.model import ModelStep, Study

TRY_SAMPLES = 2
"""Rows of the batch of medians ``validate --try`` sends through vectorised steps."""


class ModelCheckError(StudyError):
    """Every mismatch between a study's steps and their models, one line each.

    Parameters
    ----------
    problems
        ``(field path, message)`` of each problem; the first is the error's own.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(*problems[0])

    def __reduce__(self) -> tuple[type[StudyError], tuple[Any, ...]]:
        return type(self), (self.problems,)

    def lines(self) -> list[str]:
        """One ``path: message`` line per problem."""
        return [f"error: {path}: {message}" for path, message in self.problems]


def check_models(study: Study, try_medians: bool = False) -> int:
    """Import every step, check each Python step's signature against its inputs and
    parameters and (``try_medians``) run the vectorised steps on medians.

    Parameters
    ----------
    study
        The study.
    try_medians
        Also call the vectorised steps on a batch of :data:`TRY_SAMPLES` medians.

    Returns
    -------
    int
        How many steps ran on medians.

    Raises
    ------
    ModelCheckError
        Listing every problem found (a missing program or module raises the
        :class:`StudyError` of the import at once).
    """
    pipeline = Pipeline.from_study(study)  # finds programs, reads templates
    pipeline.check()  # imports every module
    problems = [
        problem
        for index, step in pipeline.steps
        if step.python is not None
        for problem in signature_problems(
            step, index, load_callable(step.python, study.base_dir, f"models[{index}].python")
        )
    ]
    tried = 0
    if not problems and try_medians:
        tried, problems = _tried(study, pipeline)
    if problems:
        raise ModelCheckError(problems)
    return tried


def signature_problems(
    step: ModelStep, index: int, function: Callable[..., Any]
) -> list[tuple[str, str]]:
    """Arguments ``models[index]`` passes that ``function`` does not take, and
    arguments it requires that the step does not pass.

    Parameters
    ----------
    step
        A python step, as in the study.
    index
        Its position in ``models``, for field paths.
    function
        The step's callable.

    Returns
    -------
    list of (str, str)
        ``(field path, message)`` of each problem; empty when the two agree.

    Examples
    --------
    >>> def absorb(dose, ka=1.0):
    ...     return {"c": dose * ka}
    >>> step = ModelStep("pk", "pkpd:absorb", inputs=("dose",), parameters={"qq": 1})
    >>> signature_problems(step, 0, absorb)
    [('models[0].parameters.qq', "function pkpd:absorb has no parameter 'qq'")]
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return []
    accepted = signature.parameters
    open_ended = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    where = f"function {step.python_name}"
    passed = {name: f"models[{index}].inputs[{k}]" for k, name in enumerate(step.inputs)}
    passed |= {name: f"models[{index}].parameters.{name}" for name in step.parameters}
    problems = [
        (path, f"{where} has no parameter '{name}'")
        for name, path in passed.items()
        if not open_ended
        and (
            name not in accepted
            or accepted[name].kind is inspect.Parameter.VAR_POSITIONAL
            or accepted[name].kind is inspect.Parameter.POSITIONAL_ONLY
        )
    ]
    problems += [
        (
            f"models[{index}].python",
            f"{where} requires argument '{name}', which is "
            f"neither an input nor a parameter of the step",
        )
        for name, p in accepted.items()
        if p.default is p.empty
        and name not in passed
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    return problems


def _tried(study: Study, pipeline: Pipeline) -> tuple[int, list[tuple[str, str]]]:
    """Run the leading vectorised steps (those fed by inputs and by each other) on
    a batch of medians: how many ran, and one problem per failed step."""
    from uqscale.space import InputSpace

    available = set(study.input_names)
    if study.resolution is not None:
        available.add(study.resolution.parameter)
    steps = []
    for index, step in pipeline.steps:
        if not (step.vectorized and step.python and set(step.inputs) <= available):
            break
        steps.append((index, step))
        available.update(o.name for o in step.outputs)
    if not steps:
        return 0, []
    space = InputSpace.of(study)
    medians = space.to_physical(np.full((TRY_SAMPLES, len(space.names)), 0.5))
    inputs = {name: medians[:, j].copy() for j, name in enumerate(space.names)}
    if study.resolution is not None:
        inputs[study.resolution.parameter] = np.full(TRY_SAMPLES, study.resolution.spacings()[0])
    result = evaluate_batch(dataclasses.replace(pipeline, steps=tuple(steps)), 0, inputs)
    index_of = {step.name: index for index, step in steps}
    seen: dict[str, tuple[str, str]] = {}
    for failure in result.failures:
        seen.setdefault(
            failure.step,
            (
                f"models[{index_of[failure.step]}].python",
                f"--try: {failure.error} on a batch of medians: {failure.message}",
            ),
        )
    return len(steps), list(seen.values())
