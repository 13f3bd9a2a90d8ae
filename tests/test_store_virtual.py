"""Issue 17 point 1: workers store their batches, results.nc is a view over the parts."""

from __future__ import annotations

import shutil

import numpy as np
import xarray as xr

from tests.conftest import uniform_study
from tests.models.fields import TIMES, ramp
from uqscale.design import build_design, design_columns
from uqscale.execute.runner import BATCH_BYTES, batch_size_for, run_batches
from uqscale.models.evaluate import Pipeline
from uqscale.records import BatchResult, Failure
from uqscale.store import RunStore, StoredBatch, receipt
from uqscale.study import Study


def field_study(n: int = 300) -> Study:
    data = uniform_study(
        "ramp", "tests.models.fields:ramp", 2, [{"method": "moments", "n": n}]
    ).to_dict()
    data["models"][0]["outputs"] = [
        {"name": "y", "dims": ["t"], "coords": {"t": TIMES.tolist()}},
        "total",
    ]
    return Study.from_dict(data)


def test_workers_store_their_batches_and_send_back_receipts_only(client, tmp_path):
    study = field_study()
    design = build_design(study)
    store = RunStore.create(tmp_path / "run", study, "", design, {})
    names = design_columns(study)
    values = np.column_stack([design[n].values for n in names])
    dims = {o.name: o.dims for o in study.outputs}
    arrived: list[BatchResult] = []
    run_batches(
        client,
        Pipeline.from_study(study),
        names,
        values,
        [(0, 300)],
        lambda result, _: arrived.append(result),
        batch_size=64,
        store=store.part_writer(dims, 1),
    )
    assert len(arrived) == 5
    assert all(isinstance(r, StoredBatch) and r.outputs == {} for r in arrived)
    for result in arrived:
        content = (store.parts / result.part).read_bytes()
        assert receipt(content).strip() == result.receipt
        assert result.size == len(content)
    results, failures = store.collect(300, {"y": {"t": TIMES.tolist()}})
    expected = ramp(design["x1"].values, design["x2"].values)
    np.testing.assert_array_equal(results["y"].values, expected["y"])
    np.testing.assert_array_equal(results["total"].values, expected["total"])
    np.testing.assert_array_equal(results["t"].values, TIMES)
    assert failures == []


def stored_folder(tmp_path) -> RunStore:
    """Three batches of session 1 over 0..12, one of session 2 over 4..8 (without z)."""
    study = field_study(12)
    store = RunStore.create(tmp_path / "run", study, "", build_design(study), {})
    dims = {"y": ("t",), "z": ()}
    for start in (0, 4, 8):
        y = np.full((4, 5), float(start))
        store.write_batch(BatchResult(start, start + 4, {"y": y, "z": y[:, 0] + 1}), dims, 1)
    failed = [Failure(5, "model", "ValueError", "bad")]
    y = np.full((4, 5), -1.0)
    y[1] = np.nan
    store.write_batch(BatchResult(4, 8, {"y": y}, failed), dims, 2)
    return store


def test_results_nc_holds_no_data_and_later_sessions_win(tmp_path):
    store = stored_folder(tmp_path)
    results, failures = store.collect(14, {"y": {"t": TIMES.tolist()}})
    expected = np.r_[[0.0] * 4, -1, np.nan, -1, -1, [8.0] * 4, np.nan, np.nan]
    np.testing.assert_array_equal(results["y"].values[:, 2], expected)
    # z was not stored by session 2: session 1's values stand for samples 4..8.
    np.testing.assert_array_equal(
        results["z"].values, np.r_[[1.0] * 4, [5.0] * 4, [9.0] * 4, [np.nan] * 2]
    )
    assert [f.sample for f in failures] == [5]
    parts = sum(p.stat().st_size for p in store.parts.glob("*.nc"))
    assert (store.directory / "results.nc").stat().st_size < parts / 2


def test_a_moved_folder_reads_and_a_damaged_part_reads_as_missing(tmp_path):
    store = stored_folder(tmp_path)
    store.collect(14, {})
    moved = tmp_path / "elsewhere" / "run"
    moved.parent.mkdir()
    shutil.move(store.directory, moved)
    with xr.open_dataset(moved / "results.nc", engine="h5netcdf") as results:
        np.testing.assert_array_equal(results["z"].values[:12:4], [1.0, 5.0, 9.0])
    damaged = moved / "parts" / "s001-0000000008.nc"
    damaged.write_bytes(damaged.read_bytes()[:100])
    fresh = RunStore.open(moved)
    with fresh.lock():
        results, _ = fresh.collect(14, {})
    assert np.isnan(results["z"].values[8:]).all()
    assert not np.isnan(results["z"].values[:8]).any()


def test_batches_are_capped_in_bytes_and_many_workers_each_get_several():
    assert batch_size_for(1e-8, 10**8, 2, bytes_per_sample=1000) == BATCH_BYTES // 1000
    for workers in (64, 256):
        remaining, count = 200_000, 0
        while remaining:
            size = batch_size_for(0.02, remaining, workers, 2e-4, 800)
            remaining, count = remaining - size, count + 1
        assert count >= 3 * workers
