"""The ``resolution:`` block: a sweep of the grid spacing for grey-zone analysis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    from uqscale.study.model import Study

KEYS = ("parameter", "values", "process_scale", "formal_order", "threshold")


@dataclass(frozen=True)
class Resolution:
    """Run the whole ensemble at every value of a model parameter (the grid spacing).

    Parameters
    ----------
    parameter
        Name of the parameter (of one or more model steps) that sets the spacing.
    values
        The spacings, as given (a list) or ``{min, max, number}`` (log-spaced).
    process_scale
        Optional: the study input (its median is used) or step parameter that sets
        the size of the physical process, to show results against ``dx / scale``.
    formal_order
        Optional: the scheme's formal order of convergence, for the Richardson check.
    threshold
        Resolution sensitivity above which a spacing is in the grey zone.

    Examples
    --------
    >>> Resolution("dx", {"min": 1.0, "max": 100.0, "number": 3}).spacings()
    (1.0, 10.0, 100.0)
    """

    parameter: str
    values: tuple[float, ...] | Mapping[str, float]
    process_scale: str | None = None
    formal_order: float | None = None
    threshold: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.values, list | tuple):
            object.__setattr__(self, "values", tuple(self.values))
        elif isinstance(self.values, Mapping):
            object.__setattr__(self, "values", dict(self.values))

    def spacings(self) -> tuple[float, ...]:
        """The spacings in increasing order."""
        if isinstance(self.values, Mapping):
            grid = np.geomspace(self.values["min"], self.values["max"], int(self.values["number"]))
            return tuple(float(v) for v in grid)
        return tuple(sorted(float(v) for v in self.values))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``resolution`` mapping)."""
        entry: dict[str, Any] = {
            "parameter": self.parameter,
            "values": dict(self.values) if isinstance(self.values, Mapping) else list(self.values),
        }
        if self.process_scale:
            entry["process_scale"] = self.process_scale
        if self.formal_order is not None:
            entry["formal_order"] = self.formal_order
        if self.threshold != 1.0:
            entry["threshold"] = self.threshold
        return entry


def parse_resolution(value: Any, path: str = "resolution") -> Resolution:
    """Read the ``resolution`` mapping of a study file.

    Parameters
    ----------
    value
        The mapping as the YAML reader gives it.
    path
        Its field path, for errors.

    Returns
    -------
    Resolution
        The sweep (checked against the study by :func:`validate_resolution`).
    """
    entry = fields.mapping(value, path)
    fields.check_keys(entry, path, KEYS, required=("parameter", "values"))
    values = entry["values"]
    if isinstance(values, Mapping):
        fields.check_keys(
            values, f"{path}.values", ("min", "max", "number"), required=("min", "max", "number")
        )
        values = {
            "min": fields.number(values["min"], f"{path}.values.min"),
            "max": fields.number(values["max"], f"{path}.values.max"),
            "number": fields.integer(values["number"], f"{path}.values.number", 3),
        }
    else:
        values = tuple(
            fields.number(v, f"{path}.values[{i}]")
            for i, v in enumerate(fields.sequence(values, f"{path}.values"))
        )
    optional_number = {
        k: fields.number(entry[k], f"{path}.{k}")
        for k in ("formal_order", "threshold")
        if entry.get(k) is not None
    }
    return Resolution(
        parameter=fields.identifier(entry["parameter"], f"{path}.parameter"),
        values=values,
        process_scale=(
            fields.identifier(entry["process_scale"], f"{path}.process_scale")
            if entry.get("process_scale") is not None
            else None
        ),
        **optional_number,
    )


def validate_resolution(resolution: Resolution, study: Study) -> None:
    """Check the sweep against the study: the parameter belongs to a step and names
    nothing else; the spacings are positive, distinct, at least three.

    Parameters
    ----------
    resolution
        The study's sweep.
    study
        The study it belongs to.

    Raises
    ------
    StudyError
        Naming the first wrong field of ``resolution``.
    """
    path = "resolution"
    fields.identifier(resolution.parameter, f"{path}.parameter")
    if isinstance(resolution.values, Mapping):
        if not 0 < resolution.values["min"] < resolution.values["max"]:
            raise StudyError(
                f"{path}.values.max",
                "must be greater than min, and min "
                f"positive (got min={resolution.values['min']:g}, "
                f"max={resolution.values['max']:g})",
            )
    else:
        spacings = resolution.spacings()
        if len(spacings) < 3:
            raise StudyError(f"{path}.values", f"needs at least 3 spacings (got {len(spacings)})")
        if spacings[0] <= 0 or len(set(spacings)) < len(spacings):
            raise StudyError(f"{path}.values", "must be positive and distinct")
    names = set(study.input_names) | {o.name for o in study.outputs}
    if resolution.parameter in names:
        raise StudyError(
            f"{path}.parameter",
            f"'{resolution.parameter}' is an input or output; name a model parameter",
        )
    if not any(resolution.parameter in step.parameters for step in study.models):
        raise StudyError(
            f"{path}.parameter",
            f"no model step has a parameter "
            f"'{resolution.parameter}'; give it a default "
            f"value in the step's parameters",
        )
    scale = resolution.process_scale
    if (
        scale
        and scale not in study.input_names
        and not any(scale in step.parameters for step in study.models)
    ):
        raise StudyError(
            f"{path}.process_scale", f"'{scale}' is neither a study input nor a model parameter"
        )
    if resolution.threshold <= 0:
        raise StudyError(f"{path}.threshold", f"must be positive (got {resolution.threshold:g})")
