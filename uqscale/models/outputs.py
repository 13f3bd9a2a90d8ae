"""Checking what a step returned against the outputs the study declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.study.model import ModelStep


def as_mapping(returned: Any, step: ModelStep, index: int) -> Mapping[str, Any]:
    """``returned`` if it is a mapping; else the step breaks its contract."""
    if not isinstance(returned, Mapping):
        raise StudyError(f"models[{index}].python",
                         f"'{step.python}' must return a mapping from output name to value "
                         f"(got {type(returned).__name__})")
    return returned


def check_outputs(returned: Any, step: ModelStep, index: int, count: int,
                   per_sample: bool = False) -> dict[str, np.ndarray]:
    """The declared outputs as float arrays ``(count, *field)``; contract breaches raise."""
    returned = as_mapping(returned, step, index)
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



def nonfinite_failures(produced: dict[str, np.ndarray], failed: dict[int, tuple],
                        policy: str) -> dict[int, tuple]:
    """``{row: failure details}`` of rows with a NaN or infinite output that are not
    in ``failed`` already; none under the policy ``keep``."""
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

