"""The library's models against reference solutions, and their independence of the
batch a sample runs in."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import k0

from studies.models import immune_agent_field, pkpd

pytestmark = pytest.mark.slow


def _uniform(rng, low, high, n, log=False):
    if log:
        return 10 ** rng.uniform(np.log10(low), np.log10(high), n)
    return rng.uniform(low, high, n)


def _pkpd_batch(n, seed=3):
    rng = np.random.default_rng(seed)
    cell = pkpd.cell_signalling(_uniform(rng, 1, 100, n, log=True),
                                _uniform(rng, 0.5, 5, n, log=True),
                                _uniform(rng, 0.2, 2, n, log=True))
    return (cell["k_off"], cell["transducer_k"], cell["transit_rate"],
            np.exp(rng.normal(np.log(5), 0.3, n)), np.exp(rng.normal(np.log(10), 0.2, n)),
            _uniform(rng, 2, 20, n, log=True))


def test_pkpd_run_tolerance_and_per_sample_calls():
    args = _pkpd_batch(6)
    run = pkpd.body(*args)                      # rtol 1e-6, as the study runs it
    tight = pkpd.body(*args, rtol=1e-10)
    for key in ("auc_plasma", "peak_occupancy", "biomarker_peak"):
        np.testing.assert_allclose(run[key], tight[key], rtol=1e-4)
    np.testing.assert_allclose(run["biomarker"], tight["biomarker"], rtol=1e-4)
    assert (run["mass_error"] < 1e-9).all()
    one = pkpd.body(*(float(a[1]) for a in args))
    assert np.ndim(one["auc_plasma"]) == 0 and one["biomarker"].shape == (25,)
    assert one["biomarker_peak"] == run["biomarker_peak"][1]


def test_operational_model_is_the_composed_cascade():
    """r(u) = (1 + K) u / (u + K) equals the three tiers composed, normalised."""
    g = np.array([0.5, 1.0, 3.0])
    cell = pkpd.cell_signalling(np.ones(3), g, np.ones(3))
    u = np.linspace(0.01, 1.0, 50)[:, None]

    def tiers(u):
        x = u
        for _ in range(3):
            x = g * x / (1 + g * x)
        return x
    k = cell["transducer_k"]
    np.testing.assert_allclose((1 + k) * u / (u + k), tiers(u) / tiers(1.0), rtol=1e-12)
    np.testing.assert_allclose(tiers(cell["occupancy50"]) / tiers(1.0), 0.5, rtol=1e-12)


def test_point_source_field_converges_to_k0_at_second_order():
    errors = []
    for n in (48, 96, 192):
        out = immune_agent_field.tissue(*(np.array([v]) for v in (1.0, 1.0, 1.0, 50.0, 5e-3,
                                                                  100.0)),
                                        n_agents=0, focus_radius=0, n=n, t_end=8.0)
        lam = np.sqrt(50 / 5e-3)
        errors.append(out["cytokine_profile"][0, 4] / (100 / (2 * np.pi * 50)
                                                       * k0(256 / lam)) - 1)
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.1)


def test_agents_are_conserved_seeded_per_sample_and_batch_independent():
    rng = np.random.default_rng(4)
    n = 4
    kd = _uniform(rng, 0.01, 0.1, n, log=True)
    threshold = immune_agent_field.immune_cell(kd, _uniform(rng, 0.3, 0.7, n))
    args = (threshold["activation_threshold"], kd, _uniform(rng, 0.2, 2, n, log=True),
            _uniform(rng, 20, 100, n, log=True), _uniform(rng, 5e-4, 5e-3, n, log=True),
            _uniform(rng, 5, 50, n, log=True))
    for column, value in zip(args, (0.05, 0.05, 2.0, 30.0, 1e-3, 30.0), strict=True):
        column[2] = value          # sample 2 activates a share of the cells within the hour
    batch = immune_agent_field.tissue(*args, t_end=1.0, seed=11)
    np.testing.assert_array_equal(batch["agents_total"], 200)
    alone = immune_agent_field.tissue(*(a[2:3] for a in args), t_end=1.0, seed=11)
    for key, value in alone.items():
        np.testing.assert_array_equal(value[0], batch[key][2])
    other_seed = immune_agent_field.tissue(*(a[2:3] for a in args), t_end=1.0, seed=12)
    assert 0 < alone["activated_fraction"][0] < 1
    assert other_seed["activated_fraction"][0] != alone["activated_fraction"][0]
