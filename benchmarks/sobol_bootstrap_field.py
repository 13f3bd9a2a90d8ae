"""Sobol' bootstrap on a 1,000-point field output with n = 2^12: count-matrix products
(uqscale) against copying the resampled rows (the previous implementation, SALib's way).

Interleaved runs (copy, products, copy, products); prints wall seconds, peak traced
memory and the largest difference of the half-widths. Goal: seconds, not tens.

Run: ``python benchmarks/sobol_bootstrap_field.py``
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from SALib.analyze.sobol import first_order, total_order

from uqscale.analysis.saltelli_bootstrap import estimates

N, INPUTS, POINTS, RESAMPLES, CHUNK_ELEMENTS = 2**12, 4, 1000, 100, 2**24


def field_blocks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, AB_j, B of a front whose position depends on the inputs, per grid point."""
    rng = np.random.default_rng(7)
    x = rng.uniform(size=(N, INPUTS + 2, INPUTS))
    grid = np.linspace(0, 1, POINTS)
    front = 0.3 + 0.4 * x[..., :1] * x[..., 1:2] + 0.1 * x[..., 2:3]
    y = np.tanh((grid - front) / (0.05 + 0.05 * x[..., 3:4]))
    y = (y - y.mean(axis=(0, 1))) / y.std(axis=(0, 1))
    return y[:, 0], y[:, 1 : INPUTS + 1], y[:, -1]


def copied_rows(a, ab, b, resampled) -> np.ndarray:
    """The previous implementation: (n, R, chunk) copies of the resampled rows."""
    chunk = max(1, CHUNK_ELEMENTS // resampled.size)
    spread = []
    for c in range(0, a.shape[1], chunk):
        cols = slice(c, c + chunk)
        ar, br, abr = a[resampled, cols], b[resampled, cols], ab[resampled, :, cols]
        spread.append(
            [first_order(ar, abr[:, :, j], br).std(axis=0, ddof=1) for j in range(INPUTS)]
            + [total_order(ar, abr[:, :, j], br).std(axis=0, ddof=1) for j in range(INPUTS)]
        )
    return np.concatenate([np.array(s) for s in spread], axis=-1)


def products(a, ab, b, resampled) -> np.ndarray:
    found = estimates(a, ab, b, None, resampled, z=1.0)
    return np.concatenate([found["S1_conf"], found["ST_conf"]])


def measured(function, *args) -> tuple[float, float, np.ndarray]:
    tracemalloc.start()
    began = time.perf_counter()
    value = function(*args)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, value


def main() -> None:
    a, ab, b = field_blocks()
    resampled = np.random.default_rng(8).integers(N, size=(N, RESAMPLES))
    times: dict[str, list[float]] = {"copied rows": [], "count products": []}
    peaks: dict[str, float] = {}
    values = {}
    for _ in range(2):
        for name, function in (("copied rows", copied_rows), ("count products", products)):
            seconds, peak, values[name] = measured(function, a, ab, b, resampled)
            times[name].append(seconds)
            peaks[name] = peak
    print(f"Sobol' bootstrap: {POINTS} points, n = {N}, {INPUTS} inputs, {RESAMPLES} resamples")
    for name, seconds in times.items():
        print(f"  {name:15s} {min(seconds):7.2f} s  peak {peaks[name]:7.0f} MiB")
    ratio = min(times["copied rows"]) / min(times["count products"])
    difference = np.abs(values["copied rows"] - values["count products"]).max()
    print(f"  speed-up {ratio:.0f}x; largest half-width difference {difference:.1e}")


if __name__ == "__main__":
    main()
