"""Benchmark problems with exact Sobol indices, and the fits compared on them
(shared by the ``pce_*`` benchmark scripts; never run as tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from uqscale.analysis import pce
from uqscale.analysis.pce_benchmarks import gfunction_exact
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace
from uqscale.study import Study
from uqscale.study.methods import read_options
from uqscale.testfunctions import gfunction, ishigami

G_A = (0, 1, 4.5, 9, 99, 99, 99, 99)


@dataclass(frozen=True)
class Problem:
    """A function of independent uniform inputs with known indices."""

    name: str
    low: float
    high: float
    dimension: int
    function: Callable[[np.ndarray], np.ndarray]
    s1: np.ndarray
    st: np.ndarray
    tolerance: float

    @property
    def space(self) -> InputSpace:
        """The inputs, as uqscale sees them."""
        inputs = {
            f"x{i}": {"distribution": "uniform", "low": self.low, "high": self.high}
            for i in range(1, self.dimension + 1)
        }
        study = Study.from_dict(
            {
                "study": self.name,
                "inputs": inputs,
                "analysis": [{"method": "moments"}],
                "models": [
                    {"name": "f", "python": "m:f", "inputs": list(inputs), "outputs": ["y"]}
                ],
            }
        )
        return InputSpace(study.inputs)

    def design(self, n: int, seed: int) -> np.ndarray:
        """``n`` points of a scrambled Sobol' sequence (prefixes of one 2^m sequence)."""
        unit = unit_sample("sobol", n, self.dimension, np.random.default_rng(seed))
        return self.low + (self.high - self.low) * unit

    def error(self, s1: np.ndarray, st: np.ndarray) -> float:
        """Largest absolute error of the first and total indices."""
        return float(max(np.abs(s1 - self.s1).max(), np.abs(st - self.st).max()))


PROBLEMS = {
    "ishigami": Problem(
        "ishigami",
        -np.pi,
        np.pi,
        3,
        lambda x: ishigami(*x.T)["y"],
        np.array([0.313905, 0.442411, 0.0]),
        np.array([0.557589, 0.442411, 0.243684]),
        0.01,
    ),
    "gfunction": Problem(
        "gfunction",
        0.0,
        1.0,
        8,
        lambda x: gfunction(G_A, **{f"x{i + 1}": x[:, i] for i in range(8)})["y"],
        *gfunction_exact(np.asarray(G_A)),
        0.02,
    ),
}


def uqscale_indices(
    problem: Problem, x: np.ndarray, options: dict[str, Any], seed: int = 0
) -> xr.Dataset:
    """uqscale's PCE analysis of the function at ``x`` with study-file ``options``."""
    space = problem.space
    filled = read_options("pce", {"n": len(x), **options}, "analysis[0]")
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    results = xr.Dataset({"y": ("sample", problem.function(x))})
    return pce.analyze(space, filled, design, results, np.random.default_rng(seed))["y"]


def chaospy_agreement(problem: Problem, x: np.ndarray, order: int) -> float:
    """Largest difference, relative to the output's spread, between chaospy's
    ``fit_regression`` (default least squares) and uqscale's ``solver: ols`` fitted
    at the same points, evaluated at fresh points: the two are the same estimator.
    (chaospy's ``Sens_m``/``Sens_t`` take a minute per call at degree 8, hence
    uqscale's indices from the coefficients in the benchmarks.)"""
    import chaospy

    from uqscale.analysis.adaptive import Settings, Targets, fit
    from uqscale.analysis.polynomials import Basis

    joint = chaospy.Iid(chaospy.Uniform(problem.low, problem.high), problem.dimension)
    y = problem.function(x)
    theirs = chaospy.fit_regression(chaospy.generate_expansion(order, joint, normed=True), x.T, y)
    marginals = [chaospy.Uniform(problem.low, problem.high)] * problem.dimension
    ours = fit(
        x,
        Targets.of(y[:, None], False).values,
        Basis.total_degree(marginals, order),
        Settings("ols", (order,)),
        np.random.default_rng(0),
    )
    fresh = problem.design(256, 99)
    difference = theirs(*fresh.T) - ours.basis.matrix(fresh) @ ours.coefficients[:, 0]
    return float(np.abs(difference).max() / y.std())


def runs_needed(errors: dict[int, float], tolerance: float) -> int | None:
    """Fewest runs from which every larger run count tried meets ``tolerance``
    (None if the largest does not)."""
    needed = None
    for n in sorted(errors, reverse=True):
        if errors[n] > tolerance:
            break
        needed = n
    return needed
