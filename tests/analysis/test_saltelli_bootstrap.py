"""The bootstrap as count-matrix products gives the spread of resampling the rows."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.analyze.sobol import first_order, second_order, total_order

from uqscale.analysis import saltelli_bootstrap
from uqscale.analysis.saltelli_bootstrap import estimates, resample_counts


def direct_spread(a, ab, b, ba, resampled):
    """SALib's estimators on every resample, rows copied: the definition."""
    ar, br, abr, bar = a[resampled], b[resampled], ab[resampled], ba[resampled]
    k = ab.shape[1]
    s1 = np.array([first_order(ar, abr[:, :, j], br).std(axis=0, ddof=1) for j in range(k)])
    st = np.array([total_order(ar, abr[:, :, j], br).std(axis=0, ddof=1) for j in range(k)])
    s2 = np.zeros((k, k, a.shape[1]))
    for i in range(k):
        for j in range(i + 1, k):
            s2[i, j] = s2[j, i] = second_order(
                ar, abr[:, :, i], abr[:, :, j], bar[:, :, i], br
            ).std(axis=0, ddof=1)
    return s1, st, s2


def saltelli_blocks(n: int, k: int, points: int, seed: int):
    """Outputs of a field model with interactions on a Saltelli-shaped design."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2 * k + 2, k))
    weights = rng.normal(size=(k, points))
    y = x @ weights + 0.5 * (x[..., :1] * x[..., 1:2]) + np.sin(3 * x[..., -1:])
    y = (y - y.mean(axis=(0, 1))) / y.std(axis=(0, 1))
    return y[:, 0], y[:, 1 : k + 1], y[:, -1], y[:, k + 1 : 2 * k + 1]


@pytest.mark.parametrize("chunk", [2**24, 7])
def test_the_spread_equals_resampling_the_rows(monkeypatch, chunk):
    monkeypatch.setattr(saltelli_bootstrap, "BOOTSTRAP_ELEMENTS", chunk)
    a, ab, b, ba = saltelli_blocks(n=300, k=3, points=5, seed=1)
    resampled = np.random.default_rng(2).integers(300, size=(300, 50))
    found = estimates(a, ab, b, ba, resampled, z=1.96)
    s1, st, s2 = direct_spread(a, ab, b, ba, resampled)
    np.testing.assert_allclose(found["S1_conf"], 1.96 * s1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(found["ST_conf"], 1.96 * st, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(found["S2_conf"], 1.96 * s2, rtol=1e-9, atol=1e-12)
    # The point estimates are SALib's on the whole sample.
    np.testing.assert_array_equal(found["S1"][1], first_order(a, ab[:, 1], b))
    np.testing.assert_array_equal(found["ST"][2], total_order(a, ab[:, 2], b))


def test_a_constant_point_has_zero_spread():
    a, ab, b, _ = saltelli_blocks(n=100, k=2, points=3, seed=3)
    a[:, 1], ab[:, :, 1], b[:, 1] = 0.0, 0.0, 0.0
    found = estimates(
        a, ab, b, None, np.random.default_rng(4).integers(100, size=(100, 20)), z=1.96
    )
    assert np.all(found["S1_conf"][:, 1] == 0) and np.all(found["ST_conf"][:, 1] == 0)
    assert np.all(found["S1_conf"][:, [0, 2]] > 0)


def test_counts_are_how_often_each_base_sample_is_drawn():
    resampled = np.random.default_rng(5).integers(40, size=(40, 9))
    counts = resample_counts(resampled)
    assert counts.shape == (9, 40)
    np.testing.assert_array_equal(counts.sum(axis=1), 40)
    for r in range(9):
        np.testing.assert_array_equal(counts[r], np.bincount(resampled[:, r], minlength=40))
