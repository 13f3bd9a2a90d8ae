"""Moments of a 100-point field at 10^6 (or 10^7) samples (issue 17 point 5b).

The samples are stored as a run stores them (parts of 2^17 samples, ``results.nc`` a
virtual dataset over them); then the moments analysis is timed, interleaved A, B, A, B:

- A, the former way: a finite-row pass, then the statistics over blocks of points,
  each block holding every sample of its points;
- B, ``uqscale.analysis.moments.analyze``: blocks of samples, one pass for mean and
  variance that keeps the rows when they fit in ``HELD_BYTES`` (1 GiB: 10^6 samples x
  100 points do), the quantiles from them;
- C, the same with nothing held (``HELD_BYTES = 0``, as 10^7 samples are): two more
  passes for exact quantiles.

Printed: the median seconds of each, the ratios to A, and the largest relative
difference of B and C from A.

Run: ``python benchmarks/scale_moments.py [SAMPLES] [REPEATS]`` (default 10^6, 3).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from common import positional

import uqscale.analysis.moments
from uqscale.analysis.common import output_values
from uqscale.records import BatchResult
from uqscale.store import PART_CHUNK_ROWS, RunStore
from uqscale.study import Study

POINTS = 100
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def stored(work: Path, samples: int) -> xr.Dataset:
    """A run folder holding ``u(k) = x1 sin(k x2 / POINTS)`` for ``samples`` samples."""
    study = Study.from_dict(
        {
            "study": "scale_moments",
            "inputs": {"x1": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [{"name": "m", "python": "math:sin", "inputs": ["x1"], "outputs": ["y"]}],
            "analysis": [{"method": "moments", "n": samples}],
        }
    )
    rng = np.random.default_rng(1)
    design = xr.Dataset({"x1": ("sample", np.zeros(samples))})
    store = RunStore.create(work / "run", study, "", design, {})
    k = np.arange(POINTS)
    for start in range(0, samples, PART_CHUNK_ROWS):
        stop = min(samples, start + PART_CHUNK_ROWS)
        x1, x2 = rng.random(stop - start), rng.random(stop - start)
        u = x1[:, None] * np.sin(k[None, :] * x2[:, None] / POINTS)
        store.write_batch(BatchResult(start, stop, {"u": u}, [], 0.0), {"u": ("k",)})
    results, _ = store.collect(samples, {})
    return results


def former(results: xr.Dataset) -> dict[str, np.ndarray]:
    """The moments as computed before (blocks of points over every sample)."""
    out = next(output_values(results))
    ok = out.finite_rows()
    parts = [
        (b[ok].mean(axis=0), b[ok].std(axis=0, ddof=1), np.quantile(b[ok], QUANTILES, axis=0))
        for b in out.chunks()
    ]
    mean, std, q = (np.concatenate(p, axis=-1) for p in zip(*parts, strict=True))
    return {"mean": mean, "std": std, "quantile": q}


def streamed(results: xr.Dataset, held: int) -> dict[str, np.ndarray]:
    """``uqscale.analysis.moments.analyze`` holding at most ``held`` bytes of rows."""
    budget = uqscale.analysis.moments.HELD_BYTES
    uqscale.analysis.moments.HELD_BYTES = held
    try:
        options = {"quantiles": QUANTILES}
        found = uqscale.analysis.moments.analyze(None, options, None, results, None)["u"]  # type: ignore[arg-type]
    finally:
        uqscale.analysis.moments.HELD_BYTES = budget
    return {name: found[name].values for name in ("mean", "std", "quantile")}


def largest_difference(found: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> float:
    """The largest relative difference of any statistic at any point."""
    return max(
        float(np.max(np.abs(found[k] - v) / np.maximum(np.abs(v), 1e-300)))
        for k, v in expected.items()
    )


def main(samples: int, repeats: int) -> None:
    work = Path(tempfile.mkdtemp())
    try:
        results = stored(work, samples)
        ways = {
            "former": former,
            "streamed, held": lambda r: streamed(r, uqscale.analysis.moments.HELD_BYTES),
            "streamed, not held": lambda r: streamed(r, 0),
        }
        seconds: dict[str, list[float]] = {name: [] for name in ways}
        values = {}
        for _ in range(repeats):
            for name, method in ways.items():
                began = time.perf_counter()
                values[name] = method(results)
                seconds[name].append(time.perf_counter() - began)
        median = {name: float(np.median(s)) for name, s in seconds.items()}
        print(f"{samples} samples x {POINTS} points, median of {repeats} interleaved rounds:")
        for name, s in median.items():
            difference = largest_difference(values[name], values["former"])
            print(
                f"  {name:20s} {s:7.1f} s  (former / this {median['former'] / s:.2f}; "
                f"largest relative difference {difference:.1e})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(*positional((10**6, 3)))
