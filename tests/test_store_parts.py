"""Part files written with h5py in netCDF-4's layout read exactly as h5netcdf's."""

from __future__ import annotations

import dataclasses
import io
import json

import h5netcdf
import numpy as np
import pytest
import xarray as xr

from uqscale.records import BatchResult, Failure
from uqscale.store import ENGINE, _part_index, part_bytes

DIMS = {"u": ("k",), "s": (), "m": ("x", "k"), "v": ("y",)}


def h5netcdf_part(result: BatchResult, output_dims: dict[str, tuple[str, ...]]) -> bytes:
    """The same part written through h5netcdf (the reference layout)."""
    buffer = io.BytesIO()
    with h5netcdf.File(buffer, "w") as part:
        part.dimensions = {"sample": result.stop - result.start} | {
            dim: size
            for name, values in result.outputs.items()
            for dim, size in zip(output_dims[name], np.shape(values)[1:], strict=True)
        }
        part.create_variable("sample", ("sample",), "i8")[:] = np.arange(result.start, result.stop)
        for name, values in result.outputs.items():
            part.create_variable(name, ("sample", *output_dims[name]), data=np.asarray(values))
        part.attrs["failures"] = json.dumps([dataclasses.asdict(f) for f in result.failures])
        part.attrs["seconds"] = result.seconds
    return buffer.getvalue()


def batch(rows: int, start: int = 40) -> BatchResult:
    rng = np.random.default_rng(rows)
    outputs = {
        "u": rng.random((rows, 7)),
        "s": rng.random(rows),
        "m": rng.random((rows, 3, 7)),  # shares k with u
        "v": rng.random((rows, 2)),
    }
    failures = [Failure(start, "model", "ValueError", "bad", "Traceback ...", 1, {"x": 0.5})]
    return BatchResult(start, start + rows, outputs, failures, 2.5, 0)


@pytest.mark.parametrize("rows", [0, 1, 300])
def test_xarray_reads_a_part_as_it_reads_h5netcdfs(rows):
    result = batch(rows)
    ours = xr.open_dataset(io.BytesIO(part_bytes(result, DIMS)), engine=ENGINE).load()
    reference = xr.open_dataset(io.BytesIO(h5netcdf_part(result, DIMS)), engine=ENGINE).load()
    xr.testing.assert_identical(ours, reference)
    assert ours["m"].dims == ("sample", "x", "k") and ours.sizes["k"] == 7
    np.testing.assert_array_equal(ours["sample"], np.arange(40, 40 + rows))


def test_h5netcdf_reads_the_dimension_order_and_the_index_reads_a_part(tmp_path):
    result = batch(5)
    path = tmp_path / "part.nc"
    path.write_bytes(part_bytes(result, DIMS))
    with h5netcdf.File(path, "r") as part:
        assert list(part.dimensions) == ["sample", "k", "x", "y"]
        assert part.variables["m"].dimensions == ("sample", "x", "k")
    shapes: dict[str, dict[str, int]] = {}
    samples, failures, names = _part_index(path, shapes)
    np.testing.assert_array_equal(samples, np.arange(40, 45))
    assert failures == result.failures
    assert set(names) == set(DIMS)
    assert shapes["m"] == {"x": 3, "k": 7} and shapes["s"] == {}


def test_a_field_is_chunked_one_point_at_a_time(tmp_path):
    import h5py

    path = tmp_path / "part.nc"
    path.write_bytes(part_bytes(batch(300), DIMS))
    with h5py.File(path, "r") as part:
        assert part["u"].chunks == (300, 1)
        assert part["m"].chunks == (300, 1, 7)
        assert part["s"].chunks is None
