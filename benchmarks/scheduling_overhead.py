"""Scheduling overhead of automatic batching for a cheap vectorised model.

10^6 samples of a vectorised model doing about 1 µs of numpy work per sample
(``rounds`` passes of sin, multiply, add), on a 2-worker LocalCluster, batches
sized automatically. Reported:

    overhead = (ensemble - model / workers) / (model / workers)

``ensemble`` is ``RunResult.timings["ensemble"]`` (submitting, running, gathering and
storing every batch) and ``model`` the batches' own model time summed over workers
(``timings["model"]``), so ``model / workers`` is the ensemble's length with no
scheduling at all. Goal: below 5 %.

Two kinds of run: "cold" is ``uqscale.run`` as a user calls it (it starts its own
cluster; the workers import the model on their first batch), "warm" reuses a client
whose workers already ran the model once (best and median of ``REPEATS``; the load
average at the start is printed: other work on the machine inflates the overhead).

Run: ``python benchmarks/scheduling_overhead.py [SAMPLES] [US_PER_SAMPLE] [REPEATS]``
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import uqscale
from uqscale.models.loading import load_callable

WORKERS = 2
MODEL = '''
import numpy as np


def cheap(x1, x2, x3, rounds):
    """About ``rounds`` x 3 elementwise passes per sample."""
    y = np.array(x1, dtype=float)
    for _ in range(rounds):
        y = np.sin(y) * x2 + x3
    return {"y": y}
'''


def calibrate(function, microseconds: float) -> int:
    """Rounds that cost about ``microseconds`` per sample on 100,000-sample arrays."""
    x = np.linspace(0, 1, 100_000)
    function(x1=x, x2=x, x3=x, rounds=5)
    began = time.perf_counter()
    function(x1=x, x2=x, x3=x, rounds=50)
    per_round = (time.perf_counter() - began) / 50 / len(x)
    return max(1, round(microseconds * 1e-6 / per_round))


def overhead(result) -> float:
    ideal = result.timings["model"] / WORKERS
    return (result.timings["ensemble"] - ideal) / ideal


def report(label: str, result, samples: int) -> None:
    ensemble = result.timings["ensemble"]
    ideal = result.timings["model"] / WORKERS
    parts = len(list((result.directory / "parts").glob("*.nc")))
    print(
        f"{label}: ensemble {ensemble:.3f} s, model / {WORKERS} workers {ideal:.3f} s "
        f"({result.timings['model'] / samples * 1e6:.2f} µs a sample), {parts} batches, "
        f"overhead {overhead(result) * 100:.1f} % (goal < 5 %)"
    )


def main(samples: int, microseconds: float, repeats: int) -> None:
    import os
    import statistics

    from distributed import Client, LocalCluster

    work = Path(tempfile.mkdtemp())
    (work / "cheapmodel_uq.py").write_text(MODEL)
    rounds = calibrate(load_callable("cheapmodel_uq:cheap", work), microseconds)
    study = uqscale.Study.from_dict(
        {
            "study": "scheduling_overhead",
            "seed": 2,
            "inputs": {
                f"x{i}": {"distribution": "uniform", "low": 0, "high": 1} for i in (1, 2, 3)
            },
            "models": [
                {
                    "name": "cheap",
                    "python": "cheapmodel_uq:cheap",
                    "inputs": ["x1", "x2", "x3"],
                    "parameters": {"rounds": rounds},
                    "outputs": ["y"],
                    "vectorized": True,
                }
            ],
            "analysis": [{"method": "moments", "n": samples, "rule": "random"}],
            "execution": {"workers": WORKERS},
        },
        base_dir=work,
    )
    print(
        f"{samples} samples of a vectorised model ({rounds} rounds of numpy, about "
        f"{microseconds:g} µs a sample), {WORKERS} local workers, automatic batches "
        f"(load average {os.getloadavg()[0]:.1f} at start)"
    )
    try:
        report("cold (uqscale.run starts its cluster)", uqscale.run(study, work / "cold"), samples)
        with (
            LocalCluster(
                n_workers=WORKERS,
                threads_per_worker=1,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            uqscale.run(study, work / "warmup", client=client)
            warm = [uqscale.run(study, work / f"warm{k}", client=client) for k in range(repeats)]
            warm.sort(key=overhead)
            report(f"warm, best of {repeats} (workers already ran the model)", warm[0], samples)
            print(
                f"warm, median of {repeats}: overhead "
                f"{statistics.median(overhead(r) for r in warm) * 100:.1f} %"
            )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10**6,
        float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
        int(sys.argv[3]) if len(sys.argv) > 3 else 3,
    )
