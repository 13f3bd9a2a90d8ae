"""Moments of a 100-point field at 10^6 (or 10^7) samples (issue 17 point 5b).

The samples are stored as a run stores them (parts of 2^17 samples, ``results.nc`` a
virtual dataset over them); then the moments analysis is timed, interleaved A, B, A, B:

- A, the former way: a finite-row pass, then the statistics over blocks of points,
  each block holding every sample of its points;
- B, ``uqscale.analysis.moments.analyze``: blocks of samples, one pass for mean and
  variance, two more for exact quantiles.

Printed: seconds of each, their ratio, and the largest relative difference.

Run: ``python benchmarks/scale_moments.py [SAMPLES] [REPEATS]`` (default 10^6, 2).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from common import positional

from uqscale.analysis.common import output_values
from uqscale.analysis.moments import analyze
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


def streamed(results: xr.Dataset) -> dict[str, np.ndarray]:
    found = analyze(None, {"quantiles": QUANTILES}, None, results, None)["u"]  # type: ignore[arg-type]
    return {name: found[name].values for name in ("mean", "std", "quantile")}


def main(samples: int, repeats: int) -> None:
    work = Path(tempfile.mkdtemp())
    try:
        results = stored(work, samples)
        seconds: dict[str, list[float]] = {"former": [], "streamed": []}
        values = {}
        for _ in range(repeats):
            for name, method in (("former", former), ("streamed", streamed)):
                began = time.perf_counter()
                values[name] = method(results)
                seconds[name].append(time.perf_counter() - began)
        a, b = min(seconds["former"]), min(seconds["streamed"])
        difference = max(
            float(np.max(np.abs(values["streamed"][k] - v) / np.maximum(np.abs(v), 1e-300)))
            for k, v in values["former"].items()
        )
        print(
            f"{samples} samples x {POINTS} points: former {a:.1f} s, streamed {b:.1f} s "
            f"(ratio {a / b:.2f}); largest relative difference {difference:.1e}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(*positional((10**6, 2)))
