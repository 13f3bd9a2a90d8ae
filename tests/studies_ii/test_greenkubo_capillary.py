"""Green-Kubo, Pries and Poiseuille: the physics of studies/greenkubo_capillary.yaml."""

from __future__ import annotations

import numpy as np
import pytest

from tests.studies_ii.conftest import study_module

gk = study_module("greenkubo_capillary")


def test_ou_signal_has_the_prescribed_variance_and_correlation():
    x = gk.stress_signal(4.0, 2.0, np.random.default_rng(3), 400_000, 0.5)
    # 400,000 samples, correlation time 4 samples: about 50,000 independent ones, so
    # the variance is known to ~1 % and the lag-4 correlation (e^-1) to ~0.01.
    assert x.var() == pytest.approx(4.0, rel=0.03)
    lag = np.mean(x[:-4] * x[4:]) / x.var()
    assert lag == pytest.approx(np.exp(-1.0), abs=0.02)


def test_green_kubo_integral_is_unbiased_and_its_error_is_honest():
    """Twenty replicas of an OU signal (s^2 = 1, tau = 1): their mean is s^2 tau within
    four standard errors of the mean, and the block estimate of the error matches
    the replicas' spread (to the ~16 % a standard deviation from 20 values allows)."""
    values, errors = [], []
    for replica in range(20):
        x = gk.stress_signal(1.0, 1.0, np.random.default_rng(replica), 200_000, 0.1)
        value, error = gk.green_kubo_integral(x, 0.1, 8.0, 10)
        values.append(value)
        errors.append(error)
    values = np.array(values)
    spread = values.std(ddof=1)
    # trapezoid bias (dt/tau)^2 / 12 ~ 1e-3, truncation exp(-8) ~ 3e-4: below the noise
    assert abs(values.mean() - 1.0) < 4 * spread / np.sqrt(len(values))
    assert 0.6 < np.mean(errors) / spread < 1.6


def test_plasma_viscosity_is_reproducible_per_sample_and_independent_of_the_batch():
    g, tau = np.array([2.0, 1.8, 2.2]), np.array([0.6, 0.5, 0.7])
    replica = np.array([0.1, 0.2, 0.3])
    kwargs = {"seed": 5, "n_steps": 20_000}
    batch = gk.plasma_viscosity(g, tau, replica, **kwargs)
    alone = gk.plasma_viscosity(g[1:2], tau[1:2], replica[1:2], **kwargs)
    assert alone["mu_plasma"][0] == batch["mu_plasma"][1]
    other = gk.plasma_viscosity(g, tau, replica + 0.5, **kwargs)
    assert not np.any(other["mu_plasma"] == batch["mu_plasma"])


def test_maxwell_estimator_gives_g_tau():
    out = gk.plasma_viscosity([2.0, 1.5], [0.6, 0.8], [0.0, 0.0], estimator="maxwell")
    np.testing.assert_allclose(out["mu_plasma"], [1.2, 1.2], rtol=1e-12)   # mPa s
    np.testing.assert_array_equal(out["gk_stderr"], 0.0)


def test_pries_curve():
    d = np.array([4.0, 6.8513, 10.0, 40.0])
    mu45 = 220 * np.exp(-1.3 * d) + 3.2 - 2.44 * np.exp(-0.06 * d**0.645)
    np.testing.assert_allclose(gk.pries_viscosity(d, 0.45), mu45, rtol=1e-12)
    np.testing.assert_allclose(gk.pries_viscosity(d, 0.0), 1.0, rtol=1e-12)
    # more cells, more viscous; least viscous near 7 um at every haematocrit studied
    assert np.all(np.diff(gk.pries_viscosity(8.0, np.linspace(0.1, 0.6, 6))) > 0)
    minima = gk.minimum_diameter(np.array([0.3, 0.45, 0.5]))
    assert minima[1] == pytest.approx(6.851295, abs=1e-4)
    assert np.all((minima > 6.5) & (minima < 7.5))


def test_node_pressures_of_series_and_parallel_resistances():
    """Segment 0-1 in series with two parallel segments 1-2: the inflow Q sees
    R = R0 + 1 / (1/R1 + 1/R2)."""
    segments = ((0, 1, 1.0, 1.0), (1, 2, 1.0, 1.0), (1, 2, 1.0, 1.0))
    conductance = np.array([[1.0, 2.0, 3.0]])
    pressure = gk.node_pressures(conductance, segments, np.array([5.0]))
    np.testing.assert_allclose(pressure[0], [5.0 * (1.0 + 1.0 / 5.0), 1.0, 0.0], rtol=1e-12)


def test_ladder_conserves_flow_and_single_segment_is_poiseuille():
    mu = gk.apparent_viscosity(np.array([1.2]), np.array([0.45]), np.array([6.0]),
                               network="single")["mu_vessel"]
    out = gk.network_flow(mu, [6.0], [100.0], [30.0], network="single")
    mu_pa = 1.2e-3 * gk.pries_viscosity(6.0, 0.45)
    expected = 8 * mu_pa * 100e-6 * 30e-15 / (np.pi * (3e-6) ** 4) / gk.MMHG
    assert out["pressure_drop"][0] == pytest.approx(expected, rel=1e-12)
    assert out["min_capillary_flow"][0] == pytest.approx(30.0, rel=1e-12)
    # The ladder: the capillaries leaving node 1 carry the whole inflow between them.
    mu = gk.apparent_viscosity(np.array([1.2]), np.array([0.45]), np.array([6.5]))["mu_vessel"]
    d, length = gk.segment_sizes([6.5], [100.0])
    g = np.pi * (d * 0.5e-6) ** 4 / (8 * mu * 1e-3 * length * 1e-6)
    p = gk.node_pressures(g, gk.LADDER, np.array([100e-15]))[0]
    flows = g[0] * (p[[a for a, *_ in gk.LADDER]] - p[[b for _, b, *_ in gk.LADDER]])
    assert flows[1] + flows[2] == pytest.approx(100e-15, rel=1e-10)
    assert flows[7] + flows[8] == pytest.approx(100e-15, rel=1e-10)


def test_stokes_flow_holds_over_the_whole_input_range():
    """The largest Reynolds number at the design's extremes (thin, fast, thin blood)."""
    mu = gk.apparent_viscosity(np.array([0.8]), np.array([0.3]), np.array([5.0]))["mu_vessel"]
    out = gk.network_flow(mu, [5.0], [60.0], [160.0])
    assert out["reynolds_max"][0] < 0.1
