"""Running a study's verification cases: its models against closed-form answers.

Each case is one sample evaluated in this process with the same machinery as a run
(:class:`~uqscale.models.evaluate.Pipeline` and
:func:`~uqscale.models.evaluate.evaluate_batch`), no Dask. Cases that override the
same parameters share one batch, so a vectorised model is called once per group.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.study.model import OutputSpec, Study
from uqscale.study.verification import VerificationCase

VERIFICATION_FILE = "verification.json"


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one verification case.

    ``error`` is ``|got - expected|`` and ``tolerance`` the largest absolute error
    that passes (``rtol * |expected|`` for a relative case). ``got`` is NaN and
    ``message`` says why when the sample failed.
    """

    name: str
    output: str
    expected: float
    got: float
    error: float
    tolerance: float
    passed: bool
    rtol: float | None = None
    at: dict[str, float] | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: name, output, expected, got, error, tolerance, rtol, passed
        (plus ``at``, the coordinates compared, and ``message`` where they apply)."""
        entry = {
            "name": self.name,
            "output": self.output,
            "expected": self.expected,
            "got": _finite_or_none(self.got),
            "error": _finite_or_none(self.error),
            "tolerance": self.tolerance,
            "rtol": self.rtol,
            "passed": self.passed,
        }
        if self.at:
            entry["at"] = self.at
        if self.message:
            entry["message"] = self.message
        return entry


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def medians(study: Study) -> dict[str, float]:
    """Each uncertain input's median (inverse CDF at 1/2)."""
    from uqscale.space import InputSpace

    space = InputSpace.of(study)
    return {
        name: float(np.asarray(m.inv(0.5)).ravel()[0])
        for name, m in zip(space.names, space.marginals, strict=True)
    }


def case_inputs(
    study: Study, case: VerificationCase, base: dict[str, float] | None = None
) -> dict[str, float]:
    """The case's values of every study input: fixed ones, else the median.

    Parameters
    ----------
    study
        The study whose inputs are given values.
    case
        The verification case, fixing some inputs.
    base
        The values of the inputs the case leaves free (default: their medians).

    Returns
    -------
    dict[str, float]
        ``{input: value}`` for every input of the study.
    """
    return {
        **(base if base is not None else medians(study)),
        **{k: float(v) for k, v in case.inputs.items()},
    }


def _with_parameters(study: Study, overrides: Mapping[str, Mapping[str, Any]]) -> Study:
    if not overrides:
        return study
    models = [
        dataclasses.replace(m, parameters={**m.parameters, **overrides.get(m.name, {})})
        for m in study.models
    ]
    return study.replace(models=models)


def verify_study(study: Study, names: Sequence[str] | None = None) -> list[CaseResult]:
    """Run the study's verification cases (all, or those named) in this process.

    Parameters
    ----------
    study
        A validated study.
    names
        Run only the cases of these names.

    Returns
    -------
    list of CaseResult
        In the order the study lists its cases.

    Raises
    ------
    StudyError
        For an unknown case name, a model that cannot be imported, or one that
        breaks its contract (a missing output, a wrong shape).
    """
    cases = list(study.verification)
    if names is not None:
        known = {c.name for c in cases}
        for name in names:
            if name not in known:
                raise StudyError(
                    "verification",
                    f"no case named '{name}' (cases: {', '.join(sorted(known)) or 'none'})",
                )
        cases = [c for c in cases if c.name in set(names)]
    base = medians(study)
    groups: dict[str, list[VerificationCase]] = {}
    for case in cases:
        key = json.dumps(
            {k: case.parameters[k] for k in sorted(case.parameters)}, sort_keys=True, default=str
        )
        groups.setdefault(key, []).append(case)
    results: dict[str, CaseResult] = {}
    for group in groups.values():
        for result in _run_group(study, group, base):
            results[result.name] = result
    return [results[c.name] for c in cases]


def _run_group(
    study: Study, cases: list[VerificationCase], base: dict[str, float]
) -> list[CaseResult]:
    """Evaluate cases that share their parameter overrides as one batch."""
    from uqscale.models.evaluate import Pipeline, evaluate_batch

    varied = _with_parameters(study, dict(cases[0].parameters))
    rows = [case_inputs(study, case, base) for case in cases]
    inputs = {name: np.array([row[name] for row in rows]) for name in study.input_names}
    sweep = getattr(varied, "resolution", None)
    if sweep is not None:
        # A resolution sweep feeds its parameter per sample: the step's own value,
        # else the finest spacing.
        given = [
            m.parameters[sweep.parameter] for m in varied.models if sweep.parameter in m.parameters
        ]
        value = given[0] if given else min(sweep.spacings())
        inputs[sweep.parameter] = np.full(len(rows), float(value))
    with tempfile.TemporaryDirectory(prefix=f"uqscale-verify-{study.name}-") as root:
        batch = evaluate_batch(Pipeline.from_study(varied, workdir_root=root), 0, inputs)
    failed = {f.sample: f"{f.step}: {f.error}: {f.message}" for f in batch.failures}
    specs = {o.name: o for o in study.outputs}
    results = []
    for row, case in enumerate(cases):
        values = batch.outputs.get(case.output)
        got, at = (
            (math.nan, None) if values is None else _pick(values[row], specs[case.output], case)
        )
        error = abs(got - float(case.expected))
        message = failed.get(row, "" if math.isfinite(got) else "output is not finite")
        results.append(
            CaseResult(
                case.name,
                case.output,
                float(case.expected),
                got,
                error,
                case.allowed,
                bool(error <= case.allowed),
                case.rtol,
                at,
                message,
            )
        )
    return results


def _pick(
    values: np.ndarray, spec: OutputSpec, case: VerificationCase
) -> tuple[float, dict[str, float] | None]:
    """The value at the point of a field nearest to ``case.at`` (and its coordinates)."""
    if not spec.dims:
        return float(values), None
    index, at = [], {}
    for dim in spec.dims:
        coords = np.asarray(spec.coords[dim], dtype=float)
        k = int(np.argmin(np.abs(coords - float(case.at[dim]))))
        index.append(k)
        at[dim] = float(coords[k])
    return float(values[tuple(index)]), at


def format_results(results: Sequence[CaseResult]) -> str:
    """A plain-text pass/fail table, one row per case, and a summary line."""
    header = ("case", "output", "expected", "got", "error", "tolerance", "result")
    rows = [header]
    for r in results:
        tolerance = f"{r.tolerance:.3g}" + (f" (rtol {r.rtol:.3g})" if r.rtol is not None else "")
        output = r.output + ("@" + ",".join(f"{k}={v:g}" for k, v in r.at.items()) if r.at else "")
        rows.append(
            (
                r.name,
                output,
                f"{r.expected:.12g}",
                f"{r.got:.12g}",
                f"{r.error:.3g}",
                tolerance,
                "PASS" if r.passed else "FAIL",
            )
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines += [f"  {r.name}: {r.message}" for r in results if r.message]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} verification cases passed")
    return "\n".join(lines)


def write_results(results: Sequence[CaseResult], path: str | Path) -> Path:
    """Write the results as a JSON list of :meth:`CaseResult.to_dict` entries.

    The file is replaced atomically (a reader never sees half of it).

    Parameters
    ----------
    results
        The cases' results, in the order written.
    path
        The JSON file to write.

    Returns
    -------
    Path
        ``path``, as a :class:`~pathlib.Path`.
    """
    from uqscale.store import write_text  # h16: atomic, never through a planted link

    path = Path(path)
    write_text(path, json.dumps([r.to_dict() for r in results], indent=1) + "\n")
    return path


def verify_into(study: Study, directory: str | Path) -> list[CaseResult]:
    """Run the study's cases and write ``DIRECTORY/verification.json`` (nothing
    without cases); what ``uqscale run`` does after the analyses.

    Parameters
    ----------
    study
        A validated study.
    directory
        The run folder.

    Returns
    -------
    list[CaseResult]
        The results written (empty for a study without cases).
    """
    if not study.verification:
        return []
    results = verify_study(study)
    write_results(results, Path(directory) / VERIFICATION_FILE)
    return results
