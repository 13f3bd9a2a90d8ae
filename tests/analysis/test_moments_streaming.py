"""Issue 17 point 5: moments stream over blocks of samples, one block in memory at a
time, with the results of a direct computation over all samples."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import uqscale.analysis.common
import uqscale.analysis.moments
from tests.test_store_virtual import field_study
from uqscale.analysis.moments import analyze
from uqscale.api import run

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)


def direct(values: np.ndarray) -> dict[str, np.ndarray]:
    """The statistics over every finite row at once, as NumPy computes them."""
    ok = np.isfinite(values).all(axis=tuple(range(1, values.ndim)))
    kept = values[ok]
    return {
        "mean": kept.mean(axis=0),
        "std": kept.std(axis=0, ddof=1),
        "quantile": np.quantile(kept, QUANTILES, axis=0),
    }


def assert_as_direct(analysis: xr.Dataset, values: np.ndarray) -> None:
    expected = direct(values)
    for name in ("mean", "std"):
        np.testing.assert_allclose(analysis[name].values, expected[name], rtol=1e-12, atol=0)
    np.testing.assert_array_equal(analysis["quantile"].values, expected["quantile"])


HELD = pytest.mark.parametrize("held", [0, 2**30], ids=["streamed", "held"])
"""Rows never kept (two more passes for the quantiles) or all kept after the first."""


@HELD
@pytest.mark.parametrize("chunk", [4096, 40_000, 2**26])
def test_a_field_output_of_a_run_streams_to_the_direct_results(tmp_path, monkeypatch, held, chunk):
    monkeypatch.setattr(uqscale.analysis.common, "CHUNK_BYTES", chunk)  # a few rows to all
    monkeypatch.setattr(uqscale.analysis.moments, "HELD_BYTES", held)
    study = field_study(3000)
    result = run(study, tmp_path / "run", report=False)
    options = {"quantiles": QUANTILES}
    rng = np.random.default_rng(0)
    analyses = analyze(None, options, result.design, result.results, rng)  # type: ignore[arg-type]
    for name in ("y", "total"):
        assert_as_direct(analyses[name], result.results[name].values)
        assert analyses[name].attrs == {"n_used": 3000, "n_failed": 0}


@HELD
def test_failed_rows_constant_points_and_point_masses(monkeypatch, held):
    monkeypatch.setattr(uqscale.analysis.common, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(uqscale.analysis.moments, "HELD_BYTES", held)
    monkeypatch.setattr(uqscale.analysis.moments, "BIN_LIMIT", 40)
    rng = np.random.default_rng(5)
    n = 5000
    values = np.column_stack(
        [
            1e6 + rng.normal(size=n),  # large mean, small spread: cancellation
            np.full(n, 2.5),  # constant
            np.maximum(rng.normal(size=n), 0.0),  # half the samples at 0: crowded bin
            rng.lognormal(sigma=3, size=n),  # heavy tail: most samples in a few bins
        ]
    )
    values[rng.choice(n, 37, replace=False), rng.integers(0, 4, 37)] = np.nan
    results = xr.Dataset({"u": (("sample", "k"), values)})
    analysis = analyze(None, {"quantiles": QUANTILES}, None, results, rng)["u"]  # type: ignore[arg-type]
    assert_as_direct(analysis, values)
    assert analysis.attrs["n_failed"] == np.isnan(values).any(axis=1).sum()


def test_fewer_than_two_finite_samples_is_one_clear_error():
    results = xr.Dataset({"y": (("sample",), [1.0, np.nan, np.nan])})
    with pytest.raises(uqscale.analysis.common.AnalysisError, match="fewer than 2"):
        analyze(None, {"quantiles": (0.5,)}, None, results, None)  # type: ignore[arg-type]


def test_rows_are_held_only_within_the_budget(monkeypatch):
    """The first pass keeps the rows while they fit in HELD_BYTES, and only then."""
    monkeypatch.setattr(uqscale.analysis.common, "CHUNK_BYTES", 2048)  # 64-row blocks of 4
    rows = xr.DataArray(np.arange(4000.0).reshape(1000, 4), dims=("sample", "k"))
    monkeypatch.setattr(uqscale.analysis.moments, "HELD_BYTES", rows.nbytes)
    held = uqscale.analysis.moments._streamed_moments(uqscale.analysis.moments._RowBlocks(rows))
    assert held.held is not None
    np.testing.assert_array_equal(np.concatenate(held.held), rows.values)
    monkeypatch.setattr(uqscale.analysis.moments, "HELD_BYTES", rows.nbytes - 1)
    blocks = uqscale.analysis.moments._RowBlocks(rows)
    assert uqscale.analysis.moments._streamed_moments(blocks).held is None
