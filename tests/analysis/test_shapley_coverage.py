"""The Shapley intervals are honest: repeated independent runs of the estimator on a
linear model of correlated Gaussian inputs (closed-form effects, Owen & Prieur 2017)
cover the exact values at about the nominal rate, the stated half-width matches the
spread of the estimates over the runs, and it shrinks as one over the root of the budget.

Tolerances: with ``R`` runs the coverage of a 95% interval has a binomial standard
deviation ``sqrt(0.95 0.05 / R)`` (0.015 at ``R = 200``), and the standard deviation of
the runs' spread is about ``1 / sqrt(2 R)`` of it (5%); the tests allow 3.5 and 4 of
these.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.test_shapley import exact_shapley, gaussian_space, run

BETA = np.array([1.0, 2.0, 0.5, -1.0, 0.8])
SIGMA = np.array([1.0, 0.7, 1.6, 0.4, 1.2])
RUNS = 200


def linear_case(dimension: int):
    """A linear model of ``dimension`` Gaussian inputs, the first three correlated."""
    matrix = [[1.0, 0.6, 0.3], [0.6, 1.0, -0.4], [0.3, -0.4, 1.0]]
    space = gaussian_space(SIGMA[:dimension], ["x1", "x2", "x3"], matrix)
    beta, sigma = BETA[:dimension], SIGMA[:dimension]
    exact = exact_shapley(beta, space.correlation * np.outer(sigma, sigma))
    return space, (lambda x: {"y": ((), x @ beta)}), exact


def options(permutations: int, n_var: int) -> dict:
    return {
        "permutations": permutations,
        "n_var": n_var,
        "outer": 1,
        "inner": 3,
        "conf_level": 0.95,
    }


def repeated(space, model, settings, runs: int) -> tuple[np.ndarray, np.ndarray]:
    """Effects and half-widths of ``runs`` independent runs, ``(runs, d)`` each."""
    found = [run(space, model, seed=seed, options=settings)["y"] for seed in range(runs)]
    return np.array([f["Sh"].values for f in found]), np.array([f["Sh_conf"].values for f in found])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dimension", "permutations"),
    [(3, 180), (5, 100)],  # every ordering 30 times (exact); 100 of the 120 at random
    ids=["exact-orderings", "random-orderings"],
)
def test_intervals_cover_the_closed_form_at_the_nominal_rate(dimension, permutations):
    space, model, exact = linear_case(dimension)
    effects, half_widths = repeated(space, model, options(permutations, 1000), RUNS)
    covered = (np.abs(effects - exact) <= half_widths).mean(axis=0)
    assert np.all(np.abs(covered - 0.95) <= 3.5 * np.sqrt(0.95 * 0.05 / RUNS)), covered
    # Not wider than it should be either: the stated standard error is the runs' spread.
    stated = half_widths.mean(axis=0) / 1.959964
    spread = effects.std(axis=0, ddof=1)
    assert np.all(np.abs(stated / spread - 1) <= 4 / np.sqrt(2 * RUNS)), stated / spread


def test_intervals_shrink_as_one_over_the_root_of_the_budget():
    space, model, _ = linear_case(3)
    _, small = repeated(space, model, options(60, 1000), 10)
    _, large = repeated(space, model, options(240, 4000), 10)
    ratio = small.mean(axis=0) / large.mean(axis=0)
    np.testing.assert_allclose(ratio, 2.0, rtol=0.1)


def test_exact_orderings_share_the_whole_variance():
    # Shapley's weights sum to zero on every inner subset: sum Sh = Var(Y)/Var(Y) = 1,
    # exactly, whatever the Monte Carlo error of each cost.
    space, model, _ = linear_case(4)
    found = run(space, model, seed=5, options=options(24, 200))["y"]
    assert float(found["Sh"].sum()) == pytest.approx(1.0, abs=1e-12)


def test_a_subset_drawn_once_has_no_interval_rather_than_a_false_one():
    # Two inputs and two orderings with one outer draw: each cost is a single draw, whose
    # error cannot be told from the data; an outer draw more makes it tell.
    space = gaussian_space([1.0, 1.0], ["x1", "x2"], [[1.0, 0.5], [0.5, 1.0]])
    model = lambda x: {"y": ((), x[:, 0] + 2 * x[:, 1])}  # noqa: E731
    once = run(space, model, options=options(2, 100))["y"]
    assert np.all(np.isnan(once["Sh_conf"].values))
    twice = run(space, model, options=options(2, 100) | {"outer": 2})["y"]
    assert np.all(np.isfinite(twice["Sh_conf"].values) & (twice["Sh_conf"].values > 0))
