"""How accurate, how honest and how well covered uqscale's ``order: auto`` PCE is on a
literature benchmark set (:mod:`uqscale.analysis.pce_benchmarks`), against chaospy's
least squares at its best degree and OpenTURNS' LARS expansion.

For every problem, budget (runs per input) and seed: a scrambled Sobol' design, the
uqscale fit (default options: ``order: auto``, 100 bootstrap resamples, 95%
intervals), chaospy's ``fit_regression`` at every total degree it can fit (the degree
with the smallest index error is kept: an oracle, the best chaospy can do) and
OpenTURNS' LARS expansion (degree by its own corrected leave-one-out error; run in
the environment given by ``--openturns``, skipped if absent). Printed per problem and
budget: the median over seeds of ``max |S - exact|`` (S1 and ST) per tool; the
median and 90th percentile of the true error (20,000 fresh Monte Carlo points)
over uqscale's reported ``cv_error``; the coverage of uqscale's 95% intervals.
Exact indices: closed forms, or for ``reference`` problems a pick-freeze estimate
on 2^20 scrambled Sobol' points (:func:`reference`).

Run: ``nice -n 10 python benchmarks/pce_accuracy.py [--seeds 5] [--problems ...]
[--openturns PYTHON] [--fold-standard-errors 2] [--record fits.jsonl]``;
``--summarise fits.jsonl ...`` prints the overall line of recorded runs (e.g. of
problems run in parallel groups) and stops.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr
from common import ROOT

from uqscale.analysis import pce, sparse
from uqscale.analysis.pce_benchmarks import Benchmark, benchmarks, input_space
from uqscale.analysis.polynomials import sobol_from_coefficients
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace
from uqscale.study.methods import read_options

EXTRA: dict = {}
"""Study-file options added to uqscale's fit (``--options``)."""
FRESH = 20_000
EXACT = 1e-10
"""Errors below this (relative to the variance) are rounding: the fit is exact."""
REFERENCE_LOG2 = 20


def as_matrix(y: np.ndarray) -> np.ndarray:
    """Outputs as ``(n, P)``."""
    return y[:, None] if y.ndim == 1 else y


def reference(problem: Benchmark, space: InputSpace) -> tuple[np.ndarray, np.ndarray]:
    """First (Saltelli 2010) and total (Jansen 1999) pick-freeze estimates on
    ``2^REFERENCE_LOG2`` scrambled Sobol' points of dimension ``2d``."""
    d = problem.dimension
    unit = unit_sample("sobol", 2**REFERENCE_LOG2, 2 * d, np.random.default_rng(1))
    a, b = space.to_physical(unit[:, :d]), space.to_physical(unit[:, d:])
    fa, fb = as_matrix(problem.function(a)), as_matrix(problem.function(b))
    variance = np.var(np.concatenate([fa, fb]), axis=0)
    s1, st = [], []
    for i in range(d):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        fab = as_matrix(problem.function(mixed))
        s1.append(np.mean(fb * (fab - fa), axis=0) / variance)
        st.append(0.5 * np.mean((fa - fab) ** 2, axis=0) / variance)
    return np.squeeze(np.array(s1)), np.squeeze(np.array(st))


def uqscale_fit(
    space: InputSpace, x: np.ndarray, y: np.ndarray, fresh: np.ndarray, seed: int
) -> dict:
    """uqscale's default ``order: auto`` analysis; true error at ``fresh`` points."""
    options = read_options(
        "pce", {"order": "auto", "n": len(x), "convergence": False, **EXTRA}, "analysis[0]"
    )
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    dims = ("sample",) if y.ndim == 1 else ("sample", "t")
    found = pce.analyze(
        space, options, design, xr.Dataset({"y": (dims, y)}), np.random.default_rng(seed)
    )["y"]
    # The same fit again (same seed, so the same folds) for its predictions.
    fixed = pce.settings(options)
    regression = pce.Regression(
        fixed, pce.Basis.polynomials(space.marginals, max(fixed.orders)), {}
    )
    targets, expansion = regression.fit(x, as_matrix(y), np.random.default_rng(seed))
    predicted = expansion.basis.matrix(fresh) @ targets.coefficients(expansion.coefficients)
    return {
        "S1": found["S1"].values,
        "ST": found["ST"].values,
        "S1_conf": found["S1_conf"].values,
        "ST_conf": found["ST_conf"].values,
        "reported": np.atleast_1d(found["cv_error"].values),
        "predicted": predicted,
    }


def chaospy_best(
    space: InputSpace, x: np.ndarray, y: np.ndarray, exact: tuple[np.ndarray, np.ndarray]
) -> float:
    """Smallest index error of ``chaospy.fit_regression`` over the total degrees it
    can fit (fewer terms than runs)."""
    import chaospy
    import numpoly
    from scipy.special import comb

    best = np.inf
    for degree in range(1, 16):
        if comb(space.dimension + degree, degree) >= len(x):
            break
        expansion = chaospy.generate_expansion(degree, space.joint, normed=True)
        _, coefficients = chaospy.fit_regression(expansion, x.T, as_matrix(y), retall=1)
        indices = sobol_from_coefficients(
            numpoly.lead_exponent(expansion),
            np.asarray(coefficients).reshape(len(expansion), -1),
            {},
        )
        best = min(best, index_error(indices["S1"], indices["ST"], exact))
    return best


def openturns_lars(
    python: str,
    problem: Benchmark,
    x: np.ndarray,
    y: np.ndarray,
    exact: tuple[np.ndarray, np.ndarray],
) -> float:
    """Index error of OpenTURNS' LARS expansion (``pce_openturns.py``)."""
    with tempfile.TemporaryDirectory() as folder:
        given, found = Path(folder) / "in.npz", Path(folder) / "out.npz"
        np.savez(given, x=x, y=as_matrix(y), inputs=json.dumps(list(problem.inputs.values())))
        subprocess.run(
            [python, str(ROOT / "benchmarks" / "pce_openturns.py"), str(given), str(found)],
            check=True,
            capture_output=True,
        )
        result = np.load(found)
        return index_error(np.squeeze(result["S1"]), np.squeeze(result["ST"]), exact)


def index_error(s1: np.ndarray, st: np.ndarray, exact: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest absolute error of first and total indices."""
    return float(
        max(np.abs(np.squeeze(s1) - exact[0]).max(), np.abs(np.squeeze(st) - exact[1]).max())
    )


def overall(fits: list[dict]) -> str:
    """The overall line of recorded fits: true/reported error, coverage, half-widths.

    Parameters
    ----------
    fits
        One record per fit (problem, budget, seed), as written by ``--record``.

    Returns
    -------
    str
        The line printed at the end of a run.
    """
    ratios = np.asarray([fit["ratio"] for fit in fits], dtype=float)
    ratios = ratios[np.isfinite(ratios)]
    covered = np.concatenate([fit["covered"] for fit in fits])
    rough = [fit["covered"] for fit in fits if not fit["smooth"]] or [[np.nan]]
    return (
        f"overall: true/reported median {np.median(ratios):.2f}, below 3 in "
        f"{np.mean(ratios < 3):.0%} of {len(ratios)} fits (exact fits left out); "
        f"median S1 half-width {np.median([fit['width'] for fit in fits]):.4f}; coverage "
        f"{np.mean(covered):.3f} of {len(covered)} index values, on non-smooth problems "
        f"{np.mean(np.concatenate(rough)):.3f} of {sum(len(r) for r in rough)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budgets", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--problems", nargs="*")
    parser.add_argument("--openturns", default="/work/venv-ot/bin/python")
    parser.add_argument(
        "--options",
        type=json.loads,
        default={},
        help="extra study-file options of the uqscale fit, as JSON",
    )
    parser.add_argument(
        "--fold-standard-errors",
        type=float,
        default=sparse.FOLD_STANDARD_ERRORS,
        help="sparse.FOLD_STANDARD_ERRORS for this run (to study the constant)",
    )
    parser.add_argument("--record", type=Path, help="append every fit as a JSON line")
    parser.add_argument(
        "--summarise", type=Path, nargs="+", help="print the overall line of recorded fits"
    )
    arguments = parser.parse_args()
    if arguments.summarise:
        lines = [line for path in arguments.summarise for line in path.read_text().splitlines()]
        print(overall([json.loads(line) for line in lines]))
        return
    EXTRA.update(arguments.options)
    sparse.FOLD_STANDARD_ERRORS = arguments.fold_standard_errors
    with_ot = Path(arguments.openturns).exists()
    if not with_ot:
        print(f"OpenTURNS interpreter {arguments.openturns} not found: its column is skipped")
    everything = benchmarks()
    names = arguments.problems or list(everything)
    print(
        "problem budget | uqscale chaospy-OLS* openturns-LARS (median max|S-exact|) | "
        "true/reported median p90 | coverage of 95% intervals | vs best peer + 10% + 0.002"
    )
    fits: list[dict] = []
    for name in names:
        problem = everything[name]
        space = input_space(problem)
        exact = reference(problem, space) if problem.reference else (problem.s1, problem.st)
        fresh = space.to_physical(np.random.default_rng(99).random((FRESH, problem.dimension)))
        truth = as_matrix(problem.function(fresh))
        for budget in arguments.budgets:
            n = budget * problem.dimension
            rows = []
            for seed in range(arguments.seeds):
                x = space.to_physical(
                    unit_sample("sobol", n, problem.dimension, np.random.default_rng(seed))
                )
                y = problem.function(x)
                ours = uqscale_fit(space, x, y, fresh, seed)
                true = np.mean((ours["predicted"] - truth) ** 2, axis=0) / truth.var(axis=0)
                # Exact recoveries (both errors at rounding level) say nothing of honesty.
                judged = np.maximum(true, ours["reported"]) > EXACT
                ratio = (
                    float(np.median(true[judged] / ours["reported"][judged]))
                    if judged.any()
                    else np.nan
                )
                covered = np.concatenate(
                    [
                        (np.abs(ours[k] - e) <= ours[f"{k}_conf"]).ravel()
                        for k, e in (("S1", exact[0]), ("ST", exact[1]))
                    ]
                )
                rows.append(
                    (
                        index_error(ours["S1"], ours["ST"], exact),
                        chaospy_best(space, x, y, exact),
                        openturns_lars(arguments.openturns, problem, x, y, exact)
                        if with_ot
                        else np.nan,
                        ratio,
                        covered,
                    )
                )
                fits.append(
                    {
                        "problem": name,
                        "budget": budget,
                        "seed": seed,
                        "smooth": problem.smooth,
                        "errors": rows[-1][:3],
                        "ratio": ratio,
                        "covered": covered.tolist(),
                        "width": float(np.median(ours["S1_conf"])),
                    }
                )
                if arguments.record:
                    with arguments.record.open("a") as out:
                        out.write(json.dumps(fits[-1]) + "\n")
            errors = np.median([r[:3] for r in rows], axis=0)
            peer = np.nanmin(errors[1:])
            verdict = "ok" if errors[0] <= 1.1 * peer + 0.002 else "WORSE"
            ratios = [r[3] for r in rows if np.isfinite(r[3])] or [np.nan]
            coverage = np.mean(np.concatenate([r[4] for r in rows]))
            print(
                f"{name:15s} {budget:3d} | {errors[0]:.4f} {errors[1]:.4f} {errors[2]:.4f} | "
                f"{np.median(ratios):6.2f} {np.percentile(ratios, 90):6.2f} | "
                f"{coverage:.3f} | {verdict}",
                flush=True,
            )
    print(overall(fits))


if __name__ == "__main__":
    sys.exit(main())
