"""The library's models against reference solutions, and their independence of the
batch a sample runs in."""

from __future__ import annotations

import numpy as np
import pytest

from studies.models import pkpd

pytestmark = pytest.mark.slow


def _uniform(rng, low, high, n, log=False):
    if log:
        return 10 ** rng.uniform(np.log10(low), np.log10(high), n)
    return rng.uniform(low, high, n)


def _pkpd_batch(n, seed=3):
    rng = np.random.default_rng(seed)
    cell = pkpd.cell_signalling(
        _uniform(rng, 1, 100, n, log=True),
        _uniform(rng, 0.5, 5, n, log=True),
        _uniform(rng, 0.2, 2, n, log=True),
    )
    return (
        cell["k_off"],
        cell["transducer_k"],
        cell["transit_rate"],
        np.exp(rng.normal(np.log(5), 0.3, n)),
        np.exp(rng.normal(np.log(10), 0.2, n)),
        _uniform(rng, 2, 20, n, log=True),
    )


def test_pkpd_run_tolerance_and_per_sample_calls():
    args = _pkpd_batch(6)
    run = pkpd.body(*args)  # rtol 1e-6, as the study runs it
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
