"""Fractional diffusion against closed forms: the physics of studies/tumour_nonlocal.yaml."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.special import voigt_profile

from tests.studies_ii.conftest import study_module

tn = study_module("tumour_nonlocal")


def spread(alpha, k_alpha, spacing, times, points=2048, dose=1.0, width=5.0, uptake=0.0):
    """Free drug on the grid of a cell of length ``spacing`` (one sample)."""
    x, xi = tn.grid(np.array([spacing]), points)
    c0 = tn.bolus(x, dose, width)
    rates = tn._rates(xi, np.array([alpha]), np.array([k_alpha]), np.array([uptake]))
    return x[0], tn.evolve(c0, rates, np.asarray(times, dtype=float))[0]


@pytest.mark.parametrize(("k_alpha", "t"), [(10.0, 60.0), (25.0, 200.0)])
def test_fick_spreads_a_gaussian_with_variance_2kt(k_alpha, t):
    """alpha = 2: the bolus stays Gaussian with variance w^2 + 2 K t (exact in time,
    spectral in space; the cell is wide enough that its edges hold ~1e-30)."""
    x, c = spread(2.0, k_alpha, 2000.0, [t])
    variance = 25.0 + 2.0 * k_alpha * t
    exact = np.exp(-x**2 / (2 * variance)) / np.sqrt(2 * np.pi * variance)
    np.testing.assert_allclose(c[0], exact, atol=1e-12 * exact.max())


def test_alpha_one_is_the_cauchy_kernel():
    """alpha = 1: the fundamental solution is a Cauchy density of half-width g = K t, so
    a Gaussian bolus becomes a Voigt profile; in a periodic cell, summed over the cell's
    images: M on each side, plus the far ones, (g / pi) 2 sum_{m > M} 1 / (m L)^2 =
    2 g / (pi L^2) (1/M - 1/(2 M^2) + ...)."""
    spacing, k_alpha, t, m = 400.0, 0.5, 60.0, 2000
    x, c = spread(1.0, k_alpha, spacing, [t], points=1024)
    g = k_alpha * t
    images = spacing * np.arange(-m, m + 1)
    far = 2 * g / (np.pi * spacing**2) * (1 / m - 1 / (2 * m**2))
    exact = voigt_profile(x[:, None] + images[None, :], 5.0, g).sum(axis=1) + far
    np.testing.assert_allclose(c[0], exact, atol=1e-9 * exact.max())


@pytest.mark.parametrize("hurst", [0.5, 0.7, 0.9])
def test_drug_is_conserved_free_plus_internalised(hurst):
    closure = tn.structure_closure([hurst], [10.0], [20.0])
    uptake, t = 0.01, 60.0
    out = tn.penetration(closure["alpha"], closure["k_alpha"], [20.0], [uptake], [300.0],
                         snapshot=t)
    assert out["internalised"][0] == pytest.approx(-np.expm1(-uptake * t), rel=1e-10)
    _, c = spread(closure["alpha"][0], closure["k_alpha"][0], 300.0, [t], points=1024,
                  dose=20.0, uptake=uptake)
    free = c[0].sum() * 300.0 / 1024 / 20.0
    assert free + out["internalised"][0] == pytest.approx(1.0, rel=1e-10)


def test_depth_of_an_exponential_profile():
    """exp(-|x| / lam) falls to a level q at lam ln(1/q); linear interpolation on a
    grid of step h errs by at most ~h^2 / (8 lam)."""
    spacing, lam = np.array([300.0]), 20.0
    x, _ = tn.grid(spacing, 1024)
    profile = np.exp(-np.abs(x) / lam)
    for level in (0.5, 0.1):
        got = tn.depth(profile, x, level)[0]
        assert got == pytest.approx(lam * np.log(1 / level), abs=(300 / 1024) ** 2 / lam)
    assert tn.depth(np.ones_like(x), x, 0.5)[0] == pytest.approx(150.0)   # never: half cell


def test_fickian_structure_gives_ratio_one_and_correlation_deepens_the_tail():
    closure = tn.structure_closure([0.5, 0.8], [10.0, 10.0], [20.0, 20.0])
    out = tn.penetration(closure["alpha"], closure["k_alpha"], [20.0, 20.0], [0.02, 0.02],
                         [300.0, 300.0])
    assert out["depth_ratio"][0] == 1.0 and out["midpoint_log_ratio"][0] == 0.0
    # Levy flights: more drug reaches the cells farthest from the vessels.
    assert out["midpoint_log_ratio"][1] > 0.0


def test_results_do_not_depend_on_the_batch():
    rng = np.random.default_rng(4)
    h, length = rng.uniform(0.5, 0.9, 5), rng.uniform(5, 20, 5)
    d, k, s = rng.uniform(10, 30, 5), rng.uniform(0.01, 0.03, 5), rng.uniform(200, 400, 5)
    closure = tn.structure_closure(h, length, d)
    batch = tn.penetration(closure["alpha"], closure["k_alpha"], d, k, s)
    one = slice(2, 3)
    alone = tn.penetration(closure["alpha"][one], closure["k_alpha"][one], d[one], k[one],
                           s[one])
    for name, values in batch.items():
        np.testing.assert_array_equal(values[one], alone[name])


def test_doctests_of_the_study_models():
    for name in ("tumour_nonlocal", "greenkubo_capillary"):
        failed, _ = doctest.testmod(study_module(name))
        assert failed == 0
