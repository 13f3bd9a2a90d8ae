"""Checking what a step returned against the outputs the study declares.

A sample whose result breaks the step's contract (not a mapping, a declared output
missing, not numeric, the wrong shape) raises :class:`ContractError`: that sample fails
and is recorded with what was expected and what came back; the run goes on, and the
batches already stored stay stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from uqscale.study.model import ModelStep


class ContractError(Exception):
    """A step's result for one sample (or one vectorised call) breaks its declared outputs.

    Parameters
    ----------
    path
        The study field whose promise was broken, e.g. ``models[0].outputs[1]``.
    message
        What was expected and what came back.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[type[ContractError], tuple[str, str]]:
        return type(self), (self.path, str(self).removeprefix(f"{self.path}: "))


def as_mapping(returned: Any, step: ModelStep, index: int) -> Mapping[str, Any]:
    """``returned`` if it is a mapping; else the step breaks its contract
    (:class:`ContractError`).

    Parameters
    ----------
    returned
        What the step's function returned.
    step
        The step, named in the error.
    index
        Its position in the study's ``models`` list (the error's field path).

    Returns
    -------
    Mapping[str, Any]
        ``returned`` itself.
    """
    if not isinstance(returned, Mapping):
        raise ContractError(
            f"models[{index}].python",
            f"'{step.python_name}' must return a mapping from output name to value "
            f"(got {type(returned).__name__})",
        )
    return returned


def check_outputs(
    returned: Any, step: ModelStep, index: int, count: int, per_sample: bool = False
) -> dict[str, np.ndarray]:
    """The declared outputs as float arrays ``(count, *field)``; contract breaches raise
    :class:`ContractError`.

    Parameters
    ----------
    returned
        What the step's function returned for ``count`` samples.
    step
        The step, whose ``outputs`` declare each output's dims and coordinates.
    index
        Its position in the study's ``models`` list (the errors' field paths).
    count
        The samples the call was for; a scalar output is repeated to that length.
    per_sample
        The step's function is called one sample at a time (its result wrapped as a
        batch of one): a wrong shape is described per sample, as the function returns it.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``{output name: array}``, a row per sample.
    """
    returned = as_mapping(returned, step, index)
    result = {}
    for k, spec in enumerate(step.outputs):
        path = f"models[{index}].outputs[{k}]"
        if spec.name not in returned:
            raise ContractError(
                path,
                f"'{step.python_name}' did not return output '{spec.name}' "
                f"(it returned: {', '.join(map(str, returned)) or 'nothing'})",
            )
        try:
            array = np.asarray(returned[spec.name], dtype=float)
        except (TypeError, ValueError):
            raise ContractError(
                path,
                f"output '{spec.name}' must be numeric (got {type(returned[spec.name]).__name__})",
            ) from None
        if array.ndim == 0 and not spec.dims:
            array = np.full(count, float(array))
        if array.ndim != 1 + len(spec.dims) or array.shape[0] != count:
            sizes = [str(len(spec.coords[d])) if d in spec.coords else d for d in spec.dims]
            if per_sample:
                got, what, wanted = array.shape[1:], "per sample", sizes
            else:
                got, what, wanted = array.shape, f"for a batch of {count}", [str(count), *sizes]
            raise ContractError(
                path,
                f"output '{spec.name}' has shape {got} {what}; "
                f"expected ({', '.join(wanted)}{',' * (len(wanted) == 1)}) "
                f"from its declared dims {list(spec.dims)}",
            )
        for axis, dim in enumerate(spec.dims, start=1):
            if dim in spec.coords and array.shape[axis] != len(spec.coords[dim]):
                raise ContractError(
                    f"{path}.coords.{dim}",
                    f"has {len(spec.coords[dim])} values but the model returned "
                    f"{array.shape[axis]} points along '{dim}'",
                )
        result[spec.name] = array
    return result


FailureDetails = tuple[str, str, str, int]
"""A failed sample's error type, message, traceback tail and attempts made."""


def nonfinite_failures(
    produced: dict[str, np.ndarray], failed: Mapping[int, FailureDetails], policy: str
) -> dict[int, FailureDetails]:
    """``{row: failure details}`` of rows with a NaN or infinite output that are not
    in ``failed`` already; none under the policy ``keep``.

    Parameters
    ----------
    produced
        ``{output name: array}`` of a step, a row per sample.
    failed
        The rows that failed already, by row.
    policy
        The study's ``execution.nonfinite`` (``keep`` or ``fail``).

    Returns
    -------
    dict[int, FailureDetails]
        The new failures (``NonFiniteOutput``, naming the first output at fault).
    """
    if policy == "keep" or not produced:
        return {}
    bad: dict[int, FailureDetails] = {}
    for name, array in produced.items():
        flat = array.reshape(len(array), -1)
        for row in np.flatnonzero(~np.isfinite(flat).all(axis=1)):
            if int(row) not in failed and int(row) not in bad:
                bad[int(row)] = (
                    "NonFiniteOutput",
                    f"output '{name}' is not finite "
                    f"({flat[row][~np.isfinite(flat[row])][0]}); set "
                    f"execution.nonfinite: keep to keep such samples",
                    "",
                    1,
                )
    return bad
