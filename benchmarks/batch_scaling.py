"""Batch sizing at 8 to 256 simulated workers (issue 17 point 2).

A hand-started Dask scheduler and ``dask worker`` processes of many threads each
(``PROCESSES`` processes sharing the worker threads: each thread is one simulated
worker), running a vectorised model that only sleeps ``MS`` ms per sample, with a
``POINTS``-point field output. Each worker thread has ``SECONDS`` of work, so a perfect
run takes ``SECONDS``. Reported per worker count:

    efficiency = model seconds (summed over batches) / (workers x ensemble seconds)

and the launcher's CPU seconds per batch (its process time during the run divided by
the batches stored), with the batches per worker. Goal: efficiency >= 0.9 up to 128.

Run: ``python benchmarks/batch_scaling.py [SECONDS] [MS] [POINTS] [PROCESSES]``
(defaults 4 s, 1 ms, 100 points, 4 processes).
"""

from __future__ import annotations

import importlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import positional

import uqscale
from uqscale.store import RunStore

WORKERS = (8, 32, 64, 128, 256)
MODEL = """
import time

import numpy as np


def sleeper(x1, x2, ms, points):
    \"\"\"Sleeps ``ms`` per sample; u(k) = x1 + k x2.\"\"\"
    x1 = np.asarray(x1)
    time.sleep(len(x1) * ms / 1000)
    return {"u": x1[:, None] + np.arange(points)[None, :] * np.asarray(x2)[:, None]}
"""


def study(work: Path, samples: int, ms: float, points: int, address: str) -> uqscale.Study:
    return uqscale.Study.from_dict(
        {
            "study": "batch_scaling",
            "seed": 3,
            "inputs": {
                "x1": {"distribution": "uniform", "low": 0, "high": 1},
                "x2": {"distribution": "uniform", "low": 0, "high": 1},
            },
            "models": [
                {
                    "name": "sleeper",
                    "python": "sleeper_bench:sleeper",
                    "inputs": ["x1", "x2"],
                    "parameters": {"ms": ms, "points": points},
                    "outputs": [{"name": "u", "dims": ["k"]}],
                    "vectorized": True,
                }
            ],
            "analysis": [{"method": "moments", "n": samples, "rule": "random"}],
            "execution": {"cluster": "address", "address": address},
        },
        base_dir=work,
    )


def cluster(work: Path, workers: int, processes: int) -> tuple[list[subprocess.Popen], str]:
    """A scheduler and ``processes`` worker processes of ``workers / processes`` threads."""
    scheduler_file = work / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": work}
    started = [
        subprocess.Popen(
            ["dask", "scheduler", "--host", "127.0.0.1", "--scheduler-file", scheduler_file],
            **quiet,
        )
    ]
    while not scheduler_file.exists():
        time.sleep(0.1)
    processes = min(processes, workers)
    started.append(
        subprocess.Popen(
            [
                "dask",
                "worker",
                "--scheduler-file",
                scheduler_file,
                "--nworkers",
                str(processes),
                "--nthreads",
                str(workers // processes),
            ],
            **quiet,
        )
    )
    return started, str(scheduler_file)


def measure(workers: int, seconds: float, ms: float, points: int, processes: int) -> str:
    from distributed import Client

    work = Path(tempfile.mkdtemp())
    (work / "sleeper_bench.py").write_text(MODEL)
    started, scheduler_file = cluster(work, workers, processes)
    try:
        with Client(scheduler_file=scheduler_file) as client:
            client.wait_for_workers(min(processes, workers), timeout=120)
            while sum(client.nthreads().values()) < workers:
                time.sleep(0.1)
            # Warm: every worker process imports what a batch needs (not measured).
            for module in ("uqscale.models.evaluate", "uqscale.store"):
                client.run(importlib.import_module, module)
            samples = int(workers * seconds * 1000 / ms)
            target = study(work, samples, ms, points, client.scheduler.address)
            cpu = time.process_time()
            result = uqscale.run(target, work / "run", client=client, report=False)
            cpu = time.process_time() - cpu
        batches = len(RunStore(work / "run").part_files())
        efficiency = result.timings["model"] / (workers * result.timings["ensemble"])
        return (
            f"{workers:4d} workers: efficiency {efficiency:.2f}, launcher CPU "
            f"{1000 * cpu / batches:.1f} ms per batch, {batches / workers:.1f} batches per "
            f"worker, ensemble {result.timings['ensemble']:.1f} s"
        )
    finally:
        for process in started:
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


def main(seconds: float, ms: float, points: int, processes: int) -> None:
    print(f"{seconds:g} s of {ms:g} ms samples per worker, {points}-point field")
    for workers in WORKERS if len(sys.argv) < 6 else [int(w) for w in sys.argv[5].split(",")]:
        print(measure(workers, seconds, ms, points, processes), flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the cluster on a timeout
    main(*positional((4.0, 1.0, 100, 4)))
