"""Stacking the candidates of ``order: auto`` (Breiman 1996, "Stacked regressions"): the
weights, the members it keeps, the error one level up, and a bootstrap that refits
every member."""

import chaospy
import numpy as np
import pytest

from uqscale.analysis import pce, procedure
from uqscale.analysis.bootstrap import pieces, resampled_coefficients
from uqscale.analysis.pce_benchmarks import benchmarks, input_space
from uqscale.analysis.polynomials import Basis, sobol_from_coefficients
from uqscale.analysis.procedure import Candidate, Member, consistent, stack_weights
from uqscale.analysis.sparse import Selection
from uqscale.sampling import unit_sample
from uqscale.study.methods import read_options

G10 = benchmarks()["g10"]
STACK = procedure.STACK_STANDARD_ERRORS


def test_weights_are_the_minimum_of_the_held_out_squares_on_the_simplex():
    # Where the minimum of w'Gw under sum(w) = 1 is interior (all weights positive),
    # it is Lagrange's G^-1 1 / 1'G^-1 1, G the Gram matrix of the residuals.
    rng = np.random.default_rng(3)
    residuals = rng.normal(size=(200, 1)) + rng.normal(size=(200, 3)) * [1.0, 1.5, 2.0]
    inverse = np.linalg.solve(residuals.T @ residuals, np.ones(3))
    expected = inverse / inverse.sum()
    assert (expected > 0).all()
    np.testing.assert_allclose(stack_weights(residuals), expected, atol=1e-6)


def test_a_candidate_that_only_adds_noise_gets_no_weight():
    # r3 = r1 + z with z orthogonal to r1 and r2: moving any weight from the third
    # candidate to the first lowers the sum of squares by w3^2 |z|^2.
    rng = np.random.default_rng(4)
    two = rng.normal(size=(100, 2))
    noise = rng.normal(size=100)
    noise -= two @ np.linalg.lstsq(two, noise, rcond=None)[0]
    weights = stack_weights(np.column_stack([two, two[:, 0] + noise]))
    assert weights[2] == 0.0
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def member(coefficients: list[float], error: float) -> Member:
    """A fit of the first ``len(coefficients)`` terms of a degree-2 basis in two inputs."""
    basis = Basis.total_degree([chaospy.Uniform(0, 1)] * 2, 2)
    k = len(coefficients)
    selection = Selection(
        np.arange(k),
        np.array(coefficients)[:, None],
        np.array([error]),
        np.zeros((2, 1)),
        np.zeros((2, 1)),
    )
    return Member(Candidate("omp", 2, 1.0), basis, selection)


@pytest.mark.parametrize(("error", "expected"), [(0.63, False), (0.65, True)])
def test_a_member_far_from_the_winner_must_report_the_error_its_distance_implies(error, expected):
    # y = (-1, 1) has variance 1; the two fits differ by 0.9 on the third term, and the
    # winner's error is 0.01: the member's error is at least (0.9 - 0.1)^2 = 0.64.
    y = np.array([[-1.0], [1.0]])
    best = member([0.0, 1.0], 0.01)
    assert consistent(member([0.0, 1.0, 0.9], error), best, y) is expected


def g10_fit(monkeypatch, stack_standard_errors: float):
    """The 10-input G-function at 200 Sobol' runs, seed 1: the design and folds of
    ``benchmarks/pce_accuracy.py``, whose winner (main effects only) misses the
    interactions' share of the total indices."""
    monkeypatch.setattr(procedure, "STACK_STANDARD_ERRORS", stack_standard_errors)
    space = input_space(G10)
    x = space.to_physical(unit_sample("sobol", 200, 10, np.random.default_rng(1)))
    fixed = pce.settings(read_options("pce", {"order": "auto", "n": 200}, "analysis[0]"))
    regression = pce.Regression(fixed, Basis.polynomials(space.marginals, max(fixed.orders)), {})
    targets, expansion = regression.fit(x, G10.function(x)[:, None], np.random.default_rng(1))
    return space, x, targets, expansion


def index_error(expansion) -> float:
    found = sobol_from_coefficients(expansion.basis.indices, expansion.coefficients, {})
    return float(
        max(np.abs(found["S1"].ravel() - G10.s1).max(), np.abs(found["ST"].ravel() - G10.st).max())
    )


@pytest.mark.slow
def test_stacking_beats_the_single_winner_on_known_indices(monkeypatch):
    _, _, _, single = g10_fit(monkeypatch, np.inf)
    space, _, _, stacked = g10_fit(monkeypatch, STACK)
    assert len(single.chosen[0]) == 1 and len(stacked.chosen[0]) > 1
    assert index_error(stacked) < index_error(single) - 0.03
    fresh = space.to_physical(np.random.default_rng(99).random((20_000, 10)))
    truth = G10.function(fresh)
    predicted = stacked.basis.matrix(fresh) @ stacked.coefficients
    true = np.mean((predicted[:, 0] - truth) ** 2) / truth.var()
    reported = (
        np.mean(stacked.cv_residuals**2)
        / G10.function(
            space.to_physical(unit_sample("sobol", 200, 10, np.random.default_rng(1)))
        ).var()
    )
    assert 0.5 <= true / reported <= 2  # one level up, the stack's error stays honest


@pytest.mark.slow
def test_the_bootstrap_refits_every_member_and_adds_it_with_its_weight(monkeypatch):
    # Drawing every row once, each member's refit is its fit on all rows, so the
    # resample's coefficients are the stack's.
    _, x, targets, stacked = g10_fit(monkeypatch, STACK)
    union, parts = pieces(x, targets, stacked)
    assert len(parts) > 1
    assert [part.weight for part in parts] == [m.weight for m in stacked.chosen[0]]
    resampled = resampled_coefficients(len(union), 1, parts, np.ones((1, len(x))))[0]
    expected = np.zeros_like(resampled)
    expected[Basis(union, stacked.basis.univariate).rows(stacked.basis.indices)] = (
        stacked.coefficients
    )
    np.testing.assert_allclose(resampled, expected, atol=1e-8)
