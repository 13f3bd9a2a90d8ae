"""Shapley effects against closed forms: linear models of correlated Gaussian inputs
(Owen & Prieur 2017; Iooss & Prieur 2019, docs/references.md)."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
import xarray as xr

from uqscale.analysis import shapley_estimator as shapley
from uqscale.copula import GaussianCopula
from uqscale.space import InputSpace
from uqscale.study.model import UncertainInput

OPTIONS = {"permutations": 600, "n_var": 4000, "outer": 1, "inner": 3, "conf_level": 0.95}


def exact_shapley(beta: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Shapley effects of ``y = beta . x``, ``x ~ N(0, cov)``, from the cost
    ``c(J) = E[Var(Y | X_-J)]``, which is constant for Gaussian inputs, summed over
    every subset with Shapley's weights."""
    d = len(beta)

    def cost(varied: tuple[int, ...]) -> float:
        j, k = list(varied), [i for i in range(d) if i not in varied]
        if not j:
            return 0.0
        left = cov[np.ix_(j, j)]
        if k:
            left = left - cov[np.ix_(j, k)] @ np.linalg.solve(cov[np.ix_(k, k)], cov[np.ix_(k, j)])
        return float(beta[j] @ left @ beta[j])

    total = cost(tuple(range(d)))
    effects = np.zeros(d)
    for i in range(d):
        others = [k for k in range(d) if k != i]
        for size in range(d):
            weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for subset in combinations(others, size):
                effects[i] += weight * (cost(tuple(sorted((*subset, i)))) - cost(subset))
    return effects / total


def test_the_exact_reference_matches_the_published_three_input_formula():
    # Iooss & Prieur (2019), section 3.1: x1 independent of (x2, x3), corr(x2, x3) = rho.
    beta, sigma, rho = np.array([1.0, 2.0, 0.5]), np.array([1.0, 0.7, 1.6]), 0.6
    cov = np.diag(sigma**2)
    cov[1, 2] = cov[2, 1] = rho * sigma[1] * sigma[2]
    s1, s2, s3 = beta * sigma
    variance = s1**2 + s2**2 + s3**2 + 2 * rho * s2 * s3
    published = np.array(
        [
            s1**2,
            s2**2 * (1 - rho**2 / 2) + rho**2 * s3**2 / 2 + rho * s2 * s3,
            s3**2 * (1 - rho**2 / 2) + rho**2 * s2**2 / 2 + rho * s2 * s3,
        ]
    )
    np.testing.assert_allclose(exact_shapley(beta, cov), published / variance, rtol=1e-12)


def gaussian_space(sigma, correlated, matrix, scales=None) -> InputSpace:
    names = tuple(f"x{i + 1}" for i in range(len(sigma)))
    inputs = [
        UncertainInput(
            n, "normal", {"mean": 0.0, "std": float(s)}, scale=(scales or [None] * len(sigma))[i]
        )
        for i, (n, s) in enumerate(zip(names, sigma, strict=True))
    ]
    copula = GaussianCopula(names, tuple(correlated), tuple(map(tuple, matrix)))
    return InputSpace(inputs, copula)


def run(space: InputSpace, model, seed: int = 3, options=OPTIONS) -> dict[str, xr.Dataset]:
    x = shapley.sample(space, options, np.random.default_rng(seed))
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    results = xr.Dataset(
        {name: (("sample", *dims), value) for name, (dims, value) in model(x).items()}
    )
    return shapley.analyze(space, options, design, results, np.random.default_rng(seed))


@pytest.mark.parametrize("rho", [0.0, 0.6, -0.8])
def test_linear_gaussian_model_matches_the_closed_form(rho):
    beta, sigma = np.array([1.0, 2.0, 0.5, -1.0]), np.array([1.0, 0.7, 1.6, 0.4])
    matrix = [[1.0, rho, 0.3], [rho, 1.0, 0.0], [0.3, 0.0, 1.0]]
    space = gaussian_space(sigma, ["x2", "x3", "x4"], matrix)
    found = run(space, lambda x: {"y": ((), x @ beta)})["y"]
    cov = space.correlation * np.outer(sigma, sigma)
    exact = exact_shapley(beta, cov)
    error = np.abs(found["Sh"].values - exact)
    assert np.all(error <= 2.5 * found["Sh_conf"].values + 0.005), (found["Sh"].values, exact)
    assert abs(float(found["Sh"].sum()) - 1) < 0.05
    # The intervals say how far to trust it: narrow for this budget, not zero.
    assert np.all(found["Sh_conf"].values < 0.08)
    assert np.all(found["Sh_conf"].values > 0)


def test_field_output_per_point_and_scale_groups():
    beta_at = np.array([[1.0, 0.0, 2.0], [0.2, 1.5, 0.0], [1.0, 1.0, 1.0]])  # (inputs, points)
    sigma, matrix = np.array([1.0, 1.0, 1.0]), [[1.0, 0.5], [0.5, 1.0]]
    space = gaussian_space(sigma, ["x1", "x2"], matrix, scales=["micro", "micro", "macro"])
    found = run(space, lambda x: {"u": (("x",), x @ beta_at)})["u"]
    assert found["Sh"].dims == ("input", "x")
    cov = space.correlation * np.outer(sigma, sigma)
    for point in range(3):
        exact = exact_shapley(beta_at[:, point], cov)
        np.testing.assert_allclose(
            found["Sh"].values[:, point],
            exact,
            atol=2.5 * found["Sh_conf"].values[:, point].max() + 0.005,
        )
    # A group's effect is the sum of its members' (exactly, per ordering).
    np.testing.assert_allclose(
        found["Sh_group"].sel(group="micro"),
        found["Sh"].sel(input=["x1", "x2"]).sum("input"),
        atol=1e-12,
    )


def test_interaction_is_shared_equally_between_independent_inputs():
    # y = x1 x2 with independent standard normals: S1 = 0 for both, Sh = 1/2 each.
    space = gaussian_space([1.0, 1.0], ["x1", "x2"], [[1.0, 0.0], [0.0, 1.0]])
    found = run(space, lambda x: {"y": ((), x[:, 0] * x[:, 1])})["y"]
    error = np.abs(found["Sh"].values - 0.5)
    assert np.all(error <= 2.5 * found["Sh_conf"].values + 0.005), found


def test_orderings_are_exhaustive_when_they_fit_and_random_otherwise():
    exhaustive = shapley.orderings(3, 12, np.random.default_rng(0))
    assert len({tuple(o) for o in exhaustive}) == 6
    drawn = shapley.orderings(8, 50, np.random.default_rng(0))
    assert all(sorted(o) == list(range(8)) for o in drawn)
    assert len({tuple(o) for o in drawn}) > 40
