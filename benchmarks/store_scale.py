"""10^6 samples of a cheap model with a 100-point field output through the store.

Measures the peak resident memory of the launcher and its Dask workers together
(sampled every 0.1 s with psutil over the process tree), the wall time, and the
share of it spent writing batches and assembling results.nc. Goal: peak under 2 GB,
store writing a small share of the run.

Run: ``python benchmarks/store_scale.py [SAMPLES]``
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

import uqscale
from uqscale.api import run

POINTS = 100


FIELD_SOURCE = f"""
def field(x1, x2, points={POINTS}):
    \"\"\"u(k) = x1 sin(k x2 / points): a {POINTS}-point profile per sample.\"\"\"
    k = np.arange(points)[None, :]
    return {{"u": np.asarray(x1)[:, None] * np.sin(k * np.asarray(x2)[:, None] / points)}}
"""


class PeakMemory(threading.Thread):
    """The largest total resident memory of this process and its children, when it
    was reached (seconds from the start) and this process's share of it."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.peak_at = 0.0
        self.peak_launcher = 0
        self.running = True

    def run(self) -> None:
        me = psutil.Process()
        began = time.perf_counter()
        while self.running:
            try:
                launcher = me.memory_info().rss
                total = launcher + sum(p.memory_info().rss for p in me.children(recursive=True))
            except psutil.Error:
                continue
            if total > self.peak:
                self.peak, self.peak_launcher = total, launcher
                self.peak_at = time.perf_counter() - began
            time.sleep(0.1)


def field_study(work: Path, samples: int) -> uqscale.Study:
    """The study, its model written to ``work`` (where every worker imports it from)."""
    (work / "fieldmodel_bench.py").write_text("import numpy as np\n\n" + FIELD_SOURCE)
    return uqscale.Study.from_dict(
        {
            "study": "store_scale",
            "seed": 1,
            "inputs": {
                "x1": {"distribution": "uniform", "low": 0, "high": 1},
                "x2": {"distribution": "uniform", "low": 0, "high": 6},
            },
            "models": [
                {
                    "name": "profile",
                    "python": "fieldmodel_bench:field",
                    "inputs": ["x1", "x2"],
                    "outputs": [{"name": "u", "dims": ["k"]}],
                    "vectorized": True,
                }
            ],
            "analysis": [{"method": "moments", "n": samples, "rule": "random"}],
        },
        base_dir=work,
    )


def main(samples: int) -> None:
    work = Path(tempfile.mkdtemp())
    study = field_study(work, samples)
    memory = PeakMemory()
    memory.start()
    began = time.perf_counter()
    result = run(study, work / "run")
    wall = time.perf_counter() - began
    memory.running = False
    memory.join()
    size = sum(p.stat().st_size for p in (work / "run").rglob("*") if p.is_file())
    store = (
        result.timings["store_batches"]
        + result.timings["collect"]
        + result.timings["store_create"]
        + result.timings["store_analyses"]
    )
    print(
        f"{samples} samples x {POINTS}-point field: wall {wall:.1f} s, "
        f"peak memory (launcher + workers) {memory.peak / 2**30:.2f} GB (goal < 2 GB)"
    )
    print(
        f"  writing the store: {store:.1f} s ({store / wall:.0%} of the run); "
        f"run folder {size / 2**30:.2f} GB"
    )
    for stage, seconds in result.timings.items():
        print(f"  {stage:<15}{seconds:7.2f} s")
    shutil.rmtree(work)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10**6)
