"""Collect's scan of the stored parts: the index read with h5py against opening every
part with xarray (the former way), interleaved A, B, A, B.

``PARTS`` parts of ``ROWS`` samples each are written as workers write them
(:class:`uqscale.store.PartWriter`: a scalar output and a 25-point field, as the
pkpd_correlated study stores), then each round reads every part's index both ways: its
samples, failures and outputs' names, and each output's field dims. Printed: the median
seconds of each way, their ratio, and whether the two read the same.

Run: ``python benchmarks/collect_scan.py [PARTS] [ROWS] [ROUNDS]`` (default 750, 17, 3).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from common import positional

from uqscale.records import BatchResult, Failure
from uqscale.store import ENGINE, PartWriter, _part_index

DIMS = {"auc": (), "conc": ("time",)}


def former(path: Path, shapes: dict[str, dict[str, int]]) -> tuple:
    """The index as the scan read it before: the part opened with xarray."""
    with xr.open_dataset(path, engine=ENGINE) as part:
        samples = part["sample"].values
        recorded = [Failure(**f) for f in json.loads(part.attrs["failures"])]
        for name, array in part.data_vars.items():
            shapes.setdefault(str(name), {str(d): array.sizes[d] for d in array.dims[1:]})
        return samples, recorded, tuple(str(name) for name in part.data_vars)


def scan(read, paths: list[Path]) -> tuple[float, list, dict]:
    """Seconds to read every part's index with ``read``, and what it read."""
    shapes: dict[str, dict[str, int]] = {}
    began = time.perf_counter()
    index = [read(path, shapes) for path in paths]
    seconds = time.perf_counter() - began
    return seconds, [(s.tolist(), f, n) for s, f, n in index], shapes


def main(parts: int, rows: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        writer = PartWriter(Path(folder), DIMS)
        rng = np.random.default_rng(0)
        for k in range(parts):
            start = k * rows
            failed = k % 50 == 0  # now and then a part records a failed sample
            failures = [Failure(start, "body", "RuntimeError", "LSODA failed")] if failed else []
            writer(
                BatchResult(
                    start,
                    start + rows,
                    {"auc": rng.random(rows), "conc": rng.random((rows, 25))},
                    failures,
                )
            )
        paths = sorted(Path(folder).glob("*.nc"))
        times: dict[str, list[float]] = {"xarray": [], "h5py": []}
        read: dict[str, tuple] = {}
        for _ in range(rounds):
            for name, way in (("xarray", former), ("h5py", _part_index)):
                seconds, index, shapes = scan(way, paths)
                times[name].append(seconds)
                read[name] = (index, shapes)
    old, new = (statistics.median(times[k]) for k in ("xarray", "h5py"))
    print(f"{len(paths)} parts of {rows} samples, median of {rounds} interleaved rounds:")
    print(f"  xarray open (former): {old:.2f} s   h5py index: {new:.2f} s   ratio {old / new:.1f}")
    print(f"  the same index both ways: {read['xarray'] == read['h5py']}")


if __name__ == "__main__":
    main(*positional((750, 17, 3)))
