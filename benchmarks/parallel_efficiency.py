"""Parallel efficiency of a per-sample (not vectorised) model on 2 local workers.

The model is CPU work (a busy numpy loop), calibrated to about 20 ms a call. The
same samples are first run serially in this process by calling the model in a plain
loop (what one would do by hand, no framework at all), then through ``uqscale.run``
on a 2-worker LocalCluster with automatic batching. Reported:

    efficiency = serial_time / (2 * ensemble_time)

with ``ensemble_time = RunResult.timings["ensemble"]``: submitting, running and
storing every batch (cluster start and analysis excluded). Goal: 0.9 or more.
Serial and parallel runs alternate ``REPEATS`` times; the best pair is reported (the
least disturbed by other work on the machine) with the median; the load average too.

Run: ``python benchmarks/parallel_efficiency.py [SAMPLES] [MS_PER_SAMPLE] [REPEATS]``
(defaults 400 samples, 20 ms: 8 s of model work; 3 repeats).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import uqscale
import uqscale.api
from uqscale.design import build_design
from uqscale.models.loading import load_callable

WORKERS = 2
MODEL = '''
import numpy as np


def busy(x1, x2, rounds):
    """About ``rounds`` x 256 sines and cosines: CPU work, one thread."""
    a = np.full(256, x1)
    for _ in range(rounds):
        a = np.sin(a) * x2 + np.cos(a)
    return {"y": float(a.mean())}
'''


def calibrate(function, seconds: float) -> int:
    """Rounds of the busy loop that take about ``seconds`` (best of 5 timings)."""
    function(x1=0.1, x2=0.2, rounds=200)  # warm up
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        function(x1=0.1, x2=0.2, rounds=2000)
        timings.append((time.perf_counter() - began) / 2000)
    return max(1, round(seconds / min(timings)))


def launcher_cpu_seconds() -> list[float]:
    """Make every ensemble record the CPU time this process (client, the LocalCluster's
    scheduler, storing batches) spent meanwhile: on 2 cores it is taken from the workers."""
    import resource

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    spent: list[float] = []
    inner = uqscale.api.run_batches

    def timed(*args, **kwargs):
        began = cpu()
        try:
            return inner(*args, **kwargs)
        finally:
            spent.append(cpu() - began)

    uqscale.api.run_batches = timed
    return spent


def main(samples: int, milliseconds: float, repeats: int) -> None:
    work = Path(tempfile.mkdtemp())
    (work / "busymodel_uq.py").write_text(MODEL)
    function = load_callable("busymodel_uq:busy", work)
    rounds = calibrate(function, milliseconds / 1e3)
    study = uqscale.Study.from_dict(
        {
            "study": "parallel_efficiency",
            "seed": 1,
            "inputs": {
                "x1": {"distribution": "uniform", "low": 0, "high": 1},
                "x2": {"distribution": "uniform", "low": 0, "high": 1},
            },
            "models": [
                {
                    "name": "busy",
                    "python": "busymodel_uq:busy",
                    "inputs": ["x1", "x2"],
                    "parameters": {"rounds": rounds},
                    "outputs": ["y"],
                }
            ],
            "analysis": [{"method": "moments", "n": samples, "rule": "random"}],
            "execution": {"workers": WORKERS},
        },
        base_dir=work,
    )
    load = os.getloadavg()[0]
    serial, ensemble, models = [], [], []
    launcher = launcher_cpu_seconds()
    try:
        design = build_design(study)
        x1, x2 = design["x1"].values.tolist(), design["x2"].values.tolist()
        for k in range(repeats):
            began = time.perf_counter()
            values = [function(x1=a, x2=b, rounds=rounds)["y"] for a, b in zip(x1, x2, strict=True)]
            serial.append(time.perf_counter() - began)
            result = uqscale.run(study, work / f"run{k}")
            ensemble.append(result.timings["ensemble"])
            models.append(result.timings["model"])
            assert result.results["y"].values.tolist() == values, "results differ"
    finally:
        shutil.rmtree(work)
    efficiency = [t / (WORKERS * e) for t, e in zip(serial, ensemble, strict=True)]
    best = efficiency.index(max(efficiency))  # the least disturbed pair of runs
    print(
        f"{samples} samples x {serial[best] / samples * 1e3:.1f} ms (per-sample model, "
        f"{rounds} rounds of busy numpy), {WORKERS} local workers, best of {repeats} "
        f"(load average {load:.1f} at start)"
    )
    print(
        f"serial (plain loop, one process): {serial[best]:.2f} s; uqscale ensemble: "
        f"{ensemble[best]:.2f} s (model time summed over workers {models[best]:.2f} s)"
    )
    print(
        f"parallel efficiency = serial / ({WORKERS} x ensemble) = {efficiency[best]:.3f} "
        f"(goal >= 0.9); median {statistics.median(efficiency):.3f}; each repeat: "
        + ", ".join(f"{e:.3f}" for e in efficiency)
    )
    # Where the rest goes: scheduling (workers idle) or the model itself running slower
    # in the workers than alone (two busy cores, plus launcher and scheduler on them).
    print(
        f"  of which scheduling: model time / ({WORKERS} x ensemble) = "
        f"{models[best] / (WORKERS * ensemble[best]):.3f}; model in workers vs alone: "
        f"{models[best] / serial[best]:.3f} x; launcher CPU during the ensemble "
        f"{launcher[best]:.2f} s ({launcher[best] / models[best] * 100:.1f} % of the "
        f"model time)"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 400,
        float(sys.argv[2]) if len(sys.argv) > 2 else 20.0,
        int(sys.argv[3]) if len(sys.argv) > 3 else 3,
    )
