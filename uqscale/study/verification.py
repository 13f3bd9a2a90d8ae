"""Verification cases: known answers a study's models must reproduce.

A case fixes some study inputs (the others take their distribution's median),
optionally overrides steps' parameters, and compares one output (at one point of a
field) with a number computed from a closed form. The file form, under the top-level
key ``verification``::

    verification:
      - name: functional_fraction        # identifier, unique
        inputs: {eps: 0.01, n_sites: 10}
        parameters: {chemostat: {t_end: 500}}
        output: functional_fraction
        at: {x: 0.5}                     # field outputs: nearest declared point
        expected: 0.9043820750088044
        tolerance: 1.0e-12               # absolute; or rtol (relative), not both

Nothing in a case is evaluated: ``expected`` is a number. Running the cases is
:mod:`uqscale.verify`; this module reads and checks them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    from uqscale.study.model import Study

CASE_KEYS = ("name", "inputs", "parameters", "output", "at", "expected", "tolerance", "rtol")

# YAML 1.1 (PyYAML) reads 1e-6 and 1.0e6 as strings; a case's numbers accept them.
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class VerificationCase:
    """A known answer: one output at fixed inputs, against a closed-form value.

    Inputs not named in ``inputs`` take their distribution's median. Exactly one of
    ``tolerance`` (absolute) and ``rtol`` (relative to ``expected``) is given.

    Parameters
    ----------
    name
        Identifier, unique among the study's cases.
    output
        An output of any step (intermediate outputs too).
    expected
        The closed-form value.
    inputs
        Fixed values of study inputs.
    parameters
        ``{step name: {parameter: value}}`` overriding (or adding) steps' parameters.
    at
        For a field output, ``{dim: coordinate}`` for every dim; the point nearest
        it by the output's declared ``coords`` is compared.
    tolerance, rtol
        Absolute or relative tolerance.

    Examples
    --------
    >>> case = VerificationCase("ff", "functional_fraction", 0.9043820750088044,
    ...                         inputs={"eps": 0.01}, tolerance=1e-12)
    >>> case.to_dict()["tolerance"], case.allowed
    (1e-12, 1e-12)
    """

    name: str
    output: str
    expected: float
    inputs: Mapping[str, float] = field(default_factory=dict)
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    at: Mapping[str, float] = field(default_factory=dict)
    tolerance: float | None = None
    rtol: float | None = None

    def __post_init__(self) -> None:
        # Private copies, so a case cannot change after validation.
        set_ = object.__setattr__
        set_(self, "inputs", dict(self.inputs or {}))
        set_(
            self,
            "parameters",
            {
                k: dict(v) if isinstance(v, Mapping) else v
                for k, v in dict(self.parameters or {}).items()
            },
        )
        set_(self, "at", dict(self.at or {}))

    @property
    def allowed(self) -> float:
        """The largest absolute error that passes."""
        if self.tolerance is not None:
            return float(self.tolerance)
        return float(self.rtol or 0.0) * abs(float(self.expected))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (one entry of ``verification``)."""
        entry: dict[str, Any] = {"name": self.name}
        if self.inputs:
            entry["inputs"] = dict(self.inputs)
        if self.parameters:
            entry["parameters"] = {k: dict(v) for k, v in self.parameters.items()}
        entry["output"] = self.output
        if self.at:
            entry["at"] = dict(self.at)
        entry["expected"] = self.expected
        for key in ("tolerance", "rtol"):
            if getattr(self, key) is not None:
                entry[key] = getattr(self, key)
        return entry


def _number(value: Any, path: str) -> float:
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value)
    return fields.number(value, path)


def _numbers(value: Any, path: str) -> dict[str, float]:
    return {k: _number(v, fields.join(path, k)) for k, v in fields.mapping(value, path).items()}


def read_cases(value: Any, path: str = "verification") -> tuple[VerificationCase, ...]:
    """Read the ``verification`` list of a study file into cases (structure only;
    :func:`check_cases` checks them against the study).

    Parameters
    ----------
    value
        The ``verification`` value as the YAML reader gives it (a list of mappings).
    path
        Its field path, for errors.

    Returns
    -------
    tuple of VerificationCase
        The cases, in the file's order.

    Examples
    --------
    >>> read_cases([{"name": "a", "output": "y", "expected": 1, "rtol": "1e-6"}])[0].rtol
    1e-06
    """
    cases = []
    for index, item in enumerate(fields.sequence(value, path)):
        where = fields.join(path, index)
        entry = fields.mapping(item, where)
        fields.check_keys(entry, where, CASE_KEYS, required=("name", "output", "expected"))
        parameters = fields.mapping(entry.get("parameters") or {}, f"{where}.parameters")
        optional = {
            key: _number(entry[key], f"{where}.{key}")
            for key in ("tolerance", "rtol")
            if entry.get(key) is not None
        }
        cases.append(
            VerificationCase(
                name=fields.identifier(entry["name"], f"{where}.name"),
                output=fields.identifier(entry["output"], f"{where}.output"),
                expected=_number(entry["expected"], f"{where}.expected"),
                inputs=_numbers(entry.get("inputs") or {}, f"{where}.inputs"),
                parameters={
                    step: fields.scalar_parameters(over, f"{where}.parameters.{step}")
                    for step, over in parameters.items()
                },
                at=_numbers(entry.get("at") or {}, f"{where}.at"),
                **optional,
            )
        )
    return tuple(cases)


def check_cases(study: Study) -> None:
    """Raise :class:`StudyError` for the first verification field that is wrong."""
    seen: set[str] = set()
    for index, case in enumerate(study.verification):
        path = f"verification[{index}]"
        if not isinstance(case, VerificationCase):
            raise StudyError(path, f"must be a VerificationCase (got {type(case).__name__})")
        fields.identifier(case.name, f"{path}.name")
        if case.name in seen:
            raise StudyError(f"{path}.name", f"'{case.name}' appears twice; names must be unique")
        seen.add(case.name)
        _check_output(study, case, path)
        for name, value in case.inputs.items():
            _known(name, study.input_names, f"{path}.inputs.{name}", "input")
            fields.number(value, f"{path}.inputs.{name}")
        _check_parameters(study, case, path)
        fields.number(case.expected, f"{path}.expected")
        _check_tolerance(case, path)


def _known(name: str, known: tuple[str, ...], path: str, what: str) -> None:
    if name not in known:
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"{what}s: " + ", ".join(known)
        raise StudyError(path, f"unknown {what} '{name}' ({hint})")


def _check_output(study: Study, case: VerificationCase, path: str) -> None:
    outputs = {o.name: o for o in study.outputs}
    _known(case.output, tuple(outputs), f"{path}.output", "output")
    spec = outputs[case.output]
    if not spec.dims:
        if case.at:
            raise StudyError(f"{path}.at", f"output '{spec.name}' is a scalar; remove at")
        return
    for dim in case.at:
        if dim not in spec.dims:
            raise StudyError(
                f"{path}.at.{dim}", f"is not one of output '{spec.name}' dims {list(spec.dims)}"
            )
    for dim in spec.dims:
        if dim not in case.at:
            raise StudyError(
                f"{path}.at",
                f"output '{spec.name}' is a field over {list(spec.dims)}; give at: {{{dim}: ...}}",
            )
        if dim not in spec.coords:
            raise StudyError(
                f"{path}.at.{dim}",
                f"output '{spec.name}' declares no coords for '{dim}' to find the point by",
            )
        fields.number(case.at[dim], f"{path}.at.{dim}")


def _check_parameters(study: Study, case: VerificationCase, path: str) -> None:
    from uqscale.study.validate import _check_plain

    steps = {m.name: m for m in study.models}
    for step_name, overrides in case.parameters.items():
        where = f"{path}.parameters.{step_name}"
        _known(step_name, tuple(steps), where, "step")
        _check_plain(dict(fields.mapping(overrides, where)), where)
        clash = sorted(set(overrides) & set(steps[step_name].inputs))
        if clash:
            raise StudyError(
                f"{where}.{clash[0]}", "is one of the step's inputs; fix it under inputs instead"
            )


def _check_tolerance(case: VerificationCase, path: str) -> None:
    given = [key for key in ("tolerance", "rtol") if getattr(case, key) is not None]
    if not given:
        raise StudyError(f"{path}.tolerance", "is required (absolute; or rtol: relative)")
    if len(given) == 2:
        raise StudyError(f"{path}.rtol", "give tolerance (absolute) or rtol (relative), not both")
    value = fields.number(getattr(case, given[0]), f"{path}.{given[0]}")
    if value < 0:
        raise StudyError(f"{path}.{given[0]}", f"must not be negative (got {value:g})")
