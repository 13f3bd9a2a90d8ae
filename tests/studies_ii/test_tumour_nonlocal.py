"""A medium without an REV, walkers on it and the fractional models fitted to them: the
physics of studies/tumour_nonlocal.yaml."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.special import erfcx
from scipy.special import gamma as gamma_function

import uqscale
from tests.studies_ii.conftest import STUDIES, study_module

tn = study_module("tumour_nonlocal")
WINDOWS = (4, 8, 16, 32, 64)


def case(name: str):
    """A verification case of the study file."""
    study = uqscale.load_study(STUDIES / "tumour_nonlocal.yaml")
    return next(c for c in study.verification if c.name == name)


@pytest.mark.parametrize("t", [0.3, 1.0, 20.0])
def test_mittag_leffler_modes_against_closed_forms(t):
    """E_1/2(-z) = exp(z^2) erfc(z) and E_1(-z) = exp(-z), z = rate t^order."""
    rate = np.array([0.0, 0.1, 1.0, 5.0, 40.0])
    np.testing.assert_allclose(
        tn.mittag_leffler_modes(rate, 0.5, t), erfcx(rate * t**0.5), atol=1e-9
    )
    np.testing.assert_allclose(tn.mittag_leffler_modes(rate, 1.0, t), np.exp(-rate * t), atol=1e-9)


def test_fractional_modes_meet_fick_at_gamma_one_and_cauchy_at_gamma_two():
    xi, a, t = np.linspace(0.0, 0.5, 50), 3.0, 7.0
    fick = np.exp(-a / 2 * xi**2 * t)
    np.testing.assert_allclose(tn.fractional_modes(xi, 1.0, a, t), fick, atol=1e-9)
    np.testing.assert_allclose(tn.fractional_modes(xi, 1.0 + 1e-12, a, t), fick, atol=1e-9)
    # gamma = 2: alpha = 1, modes exp(-sqrt(A / 2) |xi| t) (a Cauchy density)
    np.testing.assert_allclose(
        tn.fractional_modes(xi, 2.0, a, t), np.exp(-np.sqrt(a / 2) * xi * t), rtol=1e-12
    )


def free_drug(gamma, a_physical, t, spacing=6000.0, points=4096, width=5.0):
    """The fractional model's free drug (no uptake) in one wide cell."""
    x, xi = tn.grid(np.array([spacing]), points)
    c0_hat = np.fft.rfft(tn.bolus(x, 1.0, width), axis=-1)[0]
    return x[0], np.fft.irfft(c0_hat * tn.fractional_modes(xi[0], gamma, a_physical, t), n=points)


@pytest.mark.parametrize("gamma", [0.5, 0.7, 0.9])
def test_time_fractional_model_spreads_like_a_t_to_the_gamma(gamma):
    """Its variance is w^2 + A t^gamma: the micro step's fit, A per axis (so
    K = A Gamma(1 + gamma) / 2 is right; without the Gamma factor it is off by it)."""
    a, t = 40.0, 300.0
    x, c = free_drug(gamma, a, t)
    variance = (c * x**2).sum() / c.sum()
    assert variance == pytest.approx(25.0 + a * t**gamma, rel=2e-3)


def test_median_distance_of_known_profiles():
    spacing, lam = np.array([2000.0]), 20.0
    x, _ = tn.grid(spacing, 4096)
    exponential = tn.median_distance(np.exp(-np.abs(x) / lam), x)[0]
    assert exponential == pytest.approx(lam * np.log(2.0), rel=1e-3)
    gaussian = tn.median_distance(np.exp(-0.5 * (x / 50.0) ** 2), x)[0]
    assert gaussian == pytest.approx(0.6744897501960817 * 50.0, rel=1e-3)
    assert tn.median_distance(np.ones_like(x), x)[0] == pytest.approx(500.0, rel=1e-3)


def test_fractional_moment_is_finite_where_the_variance_grows_with_the_cell():
    """A Levy flight (gamma = 1.6, alpha = 1.25, scale c = (K t)^(1/alpha) = 56 um): the
    second moment grows with the cell (like L^(2 - alpha); it is infinite on the line);
    the median does not, and the order-1/2 moment tends to the symmetric stable law's
    E|X|^q = (2 c)^q Gamma((1 + q)/2) Gamma(1 - q/alpha) / (sqrt(pi) Gamma(1 - q/2))."""
    gamma, a, t, q = 1.6, 4.0, 100.0, 0.5
    alpha = 2 / gamma
    c = ((a / 2) ** (alpha / 2) * t) ** (1 / alpha)
    exact = (
        (2 * c) ** q
        * gamma_function((1 + q) / 2)
        * gamma_function(1 - q / alpha)
        / (np.sqrt(np.pi) * gamma_function(1 - q / 2))
    ) ** (1 / q)
    moments, medians, variances = [], [], []
    for spacing in (2000.0, 8000.0, 32000.0):
        x, p = free_drug(gamma, a, t, spacing=spacing, points=int(spacing / 2))
        variances.append((p * x**2).sum() / p.sum())
        moments.append(tn.fractional_moment(p[None], x[None], q)[0])
        medians.append(tn.median_distance(p[None], x[None])[0])
    assert variances[2] > 2.0 * variances[1] > 4.0 * variances[0]
    assert medians[2] == pytest.approx(medians[0], rel=0.01)
    errors = np.abs(np.array(moments) / exact - 1)
    assert errors[2] < errors[1] < errors[0] and errors[2] < 0.03


def slopes(beta: float, contrast: float, shuffle: bool = False) -> np.ndarray:
    out = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        field = tn.power_law_field(512, beta, rng)
        if shuffle:
            field = rng.permutation(field.ravel()).reshape(field.shape)
        out.append(tn.log_slope(WINDOWS, tn.window_variance(np.exp(contrast * field), WINDOWS))[0])
    return np.array(out)


def test_long_range_medium_has_no_rev_and_a_white_one_has():
    """The window variance of the effective diffusivity falls like 1/area (L^-2) for an
    uncorrelated medium and much more slowly for beta = 1.5 (L^(beta - 2) = L^-0.5
    asymptotically; about L^-0.75 on 512 sites); shuffling the same sites restores
    the REV, so the slow fall is the correlation's and not the values'."""
    np.testing.assert_allclose(slopes(0.0, 0.5), -2.0, atol=0.15)
    long_range = slopes(1.5, 0.5)
    assert np.all(long_range > -1.0)
    np.testing.assert_allclose(slopes(1.5, 0.5, shuffle=True), -2.0, atol=0.15)


def test_power_law_field_has_the_prescribed_spectrum():
    rng = np.random.default_rng(3)
    field = tn.power_law_field(256, 1.2, rng)
    assert field.mean() == pytest.approx(0.0, abs=1e-12) and field.std() == pytest.approx(1.0)
    power = np.abs(np.fft.fft2(field)) ** 2
    k = np.fft.fftfreq(256)
    radius = np.hypot(k[:, None], k[None, :])
    rings = [(radius > lo) & (radius <= 1.5 * lo) for lo in (0.02, 0.04, 0.08, 0.16)]
    centres = [radius[r].mean() for r in rings]
    assert tn.log_slope(centres, [power[r].mean() for r in rings])[0] == pytest.approx(
        -1.2, abs=0.1
    )


def test_homogenisation_is_the_harmonic_mean_and_an_arithmetic_mean_would_fail():
    """Started in equilibrium, the walkers spread as 2 D_hom t per axis with D_hom the
    harmonic mean of D; the arithmetic mean (the naive average) misses the study's
    verification tolerance by far."""
    tolerance = case("equilibrium_walk_is_homogenised_fick").rtol
    out = tn.medium_walk([1.5], [1.0], [0.7], walkers=3000, start="equilibrium")
    assert abs(out["msd_ratio"][0] - 1.0) < tolerance
    rng = np.random.default_rng([0, tn._seed_key(0.7)])
    diffusivity = np.exp(1.0 * tn.power_law_field(512, 1.5, rng))
    arithmetic = out["msd_ratio"][0] * out["d_homogenised"][0] / diffusivity.mean()
    assert abs(arithmetic - 1.0) > 3 * tolerance


def test_uniform_injection_is_subdiffusive_and_equilibrium_is_not():
    """Injected uniformly, walkers start out of equilibrium with the slow sites, which
    take them in as time goes on: the fitted exponent is below 1 and the spreading
    exceeds the homogenised 2 D_hom t; the same medium started in equilibrium spreads
    at exponent 1."""
    uniform = tn.medium_walk([1.5], [1.25], [0.4], walkers=2000)
    equilibrium = tn.medium_walk([1.5], [1.25], [0.4], walkers=2000, start="equilibrium")
    assert uniform["msd_exponent"][0] < 0.93 and uniform["msd_ratio"][0] > 1.1
    assert equilibrium["msd_exponent"][0] == pytest.approx(1.0, abs=0.03)


def test_medium_walk_is_reproducible_per_sample_and_refuses_a_bad_start():
    kwargs = {"walkers": 100, "sites": 128, "windows": (4, 8, 16)}
    batch = tn.medium_walk([0.8, 1.2], [0.6, 0.9], [0.1, 0.2], **kwargs)
    alone = tn.medium_walk([1.2], [0.9], [0.2], **kwargs)
    for name, values in batch.items():
        assert values[1] == alone[name][0]
    with pytest.raises(ValueError, match="start"):
        tn.medium_walk([1.0], [1.0], [0.0], start="vessel")


def test_penetration_fick_limit_conservation_and_batch_independence():
    """gamma = 1 with A = 2 D_hom/D0 (lattice units): the fractional model is Fick's and
    the depth ratio 1; drug is conserved (free + internalised = dose); a sample's
    results do not depend on the batch."""
    d0, d_hom = np.array([20.0, 15.0, 25.0]), np.array([0.6, 0.5, 0.8])
    gamma, a = np.array([1.0, 0.8, 1.3]), np.array([1.2, 1.5, 2.2])
    uptake, spacing = np.array([0.02, 0.01, 0.03]), np.array([300.0, 250.0, 380.0])
    out = tn.penetration(gamma, a, d_hom, d0, uptake, spacing)
    fick = tn.penetration([1.0], [2 * 0.6], [0.6], [20.0], [0.02], [300.0])
    assert fick["depth_ratio"][0] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(out["internalised"], -np.expm1(-uptake * 60.0), rtol=1e-9)
    alone = tn.penetration(gamma[1:2], a[1:2], d_hom[1:2], d0[1:2], uptake[1:2], spacing[1:2])
    for name, values in out.items():
        np.testing.assert_array_equal(values[1:2], alone[name])
    assert np.all(np.diff(out["median_depth_t"], axis=1) > 0)  # the drug spreads


def test_doctests_of_the_study_models():
    for name in ("tumour_nonlocal", "greenkubo_capillary"):
        failed, _ = doctest.testmod(study_module(name))
        assert failed == 0
