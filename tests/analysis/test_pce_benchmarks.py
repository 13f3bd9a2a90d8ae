"""The benchmark set's exact indices against Monte Carlo, and the Oakley-O'Hagan data
against the literature."""

from __future__ import annotations

import numpy as np
import pytest

from uqscale.analysis.pce_benchmarks import Benchmark, benchmarks, input_space
from uqscale.analysis.pce_oakley import coefficients, oakley_ohagan_exact

CLOSED_FORM = [name for name, problem in benchmarks().items() if not problem.reference]
SAMPLES = 2**16
STANDARD_ERRORS = 5


def pick_freeze(problem: Benchmark, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """First-order (Saltelli 2010) and total (Jansen 1999) estimates on independent
    Monte Carlo draws, with the standard errors of their sample means, ``(d, P)`` each."""
    d = problem.dimension
    space = input_space(problem)
    a, b = (space.to_physical(rng.random((SAMPLES, d))) for _ in range(2))
    fa, fb = (np.atleast_2d(problem.function(m).T).T for m in (a, b))
    variance = np.concatenate([fa, fb]).var(axis=0)
    estimates: list[list[np.ndarray]] = [[], [], [], []]
    for i in range(d):
        mixed = a.copy()
        mixed[:, i] = b[:, i]
        fab = np.atleast_2d(problem.function(mixed).T).T
        for k, terms in enumerate((fb * (fab - fa), 0.5 * (fa - fab) ** 2)):
            estimates[k].append(terms.mean(axis=0) / variance)
            estimates[k + 2].append(terms.std(axis=0) / np.sqrt(SAMPLES) / variance)
    return tuple(np.array(e) for e in estimates)


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_exact_indices_agree_with_monte_carlo(name):
    problem = benchmarks()[name]
    s1, st, s1_error, st_error = pick_freeze(problem, np.random.default_rng(7))
    exact_s1, exact_st = (np.reshape(e, s1.shape) for e in (problem.s1, problem.st))
    # Five standard errors plus the bias of the variance's estimate (relative 1/sqrt(n)).
    slack = 2 / np.sqrt(SAMPLES)
    assert np.all(np.abs(s1 - exact_s1) <= STANDARD_ERRORS * s1_error + slack)
    assert np.all(np.abs(st - exact_st) <= STANDARD_ERRORS * st_error + slack)


def test_oakley_ohagan_data_has_the_published_shape_and_values():
    a1, a2, a3, m = coefficients()
    assert a1.shape == a2.shape == a3.shape == (15,) and m.shape == (15, 15)
    # First and last entries of each, as otbenchmark and pyapprox carry the published data.
    assert (a1[0], a1[-1], a2[0], a2[-1], a3[0], a3[-1]) == (
        0.0118,
        1.1982,
        0.4341,
        2.2621,
        0.1044,
        1.9845,
    )
    assert (m[0, 0], m[14, 14]) == (-2.2482886e-02, 1.6045688e-01)


def test_oakley_ohagan_indices_match_the_literature_reference():
    # otbenchmark's reference indices (a sparse PCE, two significant digits).
    s1 = [0, 0, 0, 0, 0, 0.02, 0.02, 0.03, 0.05, 0.01, 0.10, 0.14, 0.10, 0.11, 0.12]
    st = [0.06, 0.06, 0.04, 0.05, 0.02, 0.04, 0.06, 0.08, 0.10, 0.04, 0.15, 0.15, 0.14, 0.14, 0.16]
    exact_s1, exact_st = oakley_ohagan_exact()
    # Rounding to two digits is 0.005; that reference's own error adds a little.
    assert np.abs(exact_s1 - s1).max() <= 0.0055
    assert np.abs(exact_st - st).max() <= 0.0055
