"""Batch sizing at 8 to 256 simulated workers (issue 17 point 2).

A hand-started Dask scheduler and ``dask worker`` processes of many threads each
(``PROCESSES`` processes sharing the worker threads: each thread is one simulated
worker: a sleeping thread holds no core, so that 256 of them fit on a laptop),
running a vectorised model that only sleeps ``MS`` ms per sample, with a
``POINTS``-point field output. Each worker thread has ``SECONDS`` of work, so a perfect
run takes ``SECONDS``. Reported per worker count:

    efficiency = model seconds (summed over batches)
                 / (workers x wall seconds from the first submit to the last receipt)

the launcher's processor time per batch over the same span (every thread of the
launcher process, the Dask client's included; the analyses after the ensemble are
not counted), the batches per worker, what each batch cost its worker thread beyond
the model on average (``(workers x span - model seconds) / batches``: storing it,
waiting for it, idle at the start and end), and the start-up apart: what a cluster pays once
(the scheduler and the workers import uqscale, the workers open their first part
file; measured by a warm-up batch before the measured run) and the run's own
start-up (from calling ``uqscale.run`` to the first submit: the design, the run
folder). Goal: efficiency >= 0.9 up to 128.

Also printed: where the worker threads' time went, from the receipts' timings on the
workers (:class:`~uqscale.store.StoredBatch` ``began``/``ended``/``slot``, read as the
launcher hands them to :class:`~uqscale.execute.batchcost.BatchCosts`), as shares of
every thread's time from the first batch's start to the last part stored: the model,
idle before its first batch, in its tasks beyond the model (building and storing parts,
waiting for a processor or the GIL), between its batches (the scheduler and the
launcher), idle after its last batch; and the processor time of the whole process tree
(launcher, scheduler, workers; the warm-up included) over its wall time, in cores: near
the machine's cores, the simulator measures the machine.

Why 30 s of model time per worker by default: on 2 cores, a batch costs its worker
thread a tenth of a second and more beyond the model at 128 workers (building and
hashing its part, four fsyncs, waiting for a processor, the GIL, the scheduler),
and the sizing keeps that under 5 % of a batch (:data:`uqscale.execute.runner.
OVERHEAD_SHARE`): batches of 2 s and more, and several of them per worker, take tens
of seconds per worker, as a study worth 128 workers has. With 4 s each (the earlier
default) no sizing can do both: either a worker gets one or two batches and the run's
end leaves most of them idle, or the overhead is half of every batch.

Why 10 ms samples by default (1 ms before 2026-12-03): the simulated workers share
this machine's 2 cores, so everything the workers do besides sleeping (building,
hashing and storing their parts, Dask's bookkeeping) is done by those 2 cores for all
of them. At 1 ms a sample with a 100-point field, 128 workers make 128,000 samples and
100 MB of parts a second; on 2026-12-03 that run reached 0.77 against 0.91 with 10 ms
samples, the launcher at 3.9 and 3.8 ms of processor time per batch: the time lost
was in the tasks beyond the model (0.10 against 0.05 of the threads' time) and after
each thread's last batch (0.08 against 0.03), which the machine's contention stretches,
not in the launcher. ``python benchmarks/batch_scaling.py 30 1`` measures that case;
on a real cluster each worker writes its parts on its own cores.

Run: ``python benchmarks/batch_scaling.py [SECONDS] [MS] [POINTS] [PROCESSES] [WORKERS]``
(defaults 30 s, 10 ms, 100 points, 4 processes, workers 8,32,64,128,256).
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import positional

import uqscale
from uqscale.execute import batchcost
from uqscale.store import RunStore, StoredBatch

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
    # Free ports, not the default 8786 and 8787: another cluster still on them (a
    # benchmark still running) made the scheduler exit and this one wait forever.
    scheduler = subprocess.Popen(
        [
            "dask",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            ":0",
            "--scheduler-file",
            scheduler_file,
        ],
        **quiet,
    )
    started = [scheduler]
    while not scheduler_file.exists():
        if scheduler.poll() is not None:
            sys.exit(f"the scheduler exited with code {scheduler.returncode}")
        time.sleep(0.1)
    processes = min(processes, workers)
    # Dask's worker profiler samples every thread's stack every 10 ms: a real worker
    # has a thread per core, a simulated one 32 or 64, which made the profiler cost a
    # quarter of this machine's 2 cores (1.40 and 1.52 cores in all with it, 1.08 and
    # 1.24 without, at 128 workers): the simulator would measure its own artefact.
    unprofiled = {**os.environ, "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
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
            env=unprofiled,
            **quiet,
        )
    )
    return started, str(scheduler_file)


def warm(client, work: Path, ms: float, points: int, processes: int) -> None:
    """What a cluster pays once, before the measured run: the scheduler unpickles
    the first batches (importing uqscale), each worker process imports it and writes
    its first part file (a one-sample study per process, in a folder of its own)."""
    for module in ("uqscale.execute.runner", "uqscale.store"):
        client.run_on_scheduler(importlib.import_module, module)
        client.run(importlib.import_module, module)
    target = study(work, 4 * processes, ms, points, client.scheduler.address)
    uqscale.run(target, work / "warm", client=client, report=False, batch_size=1)


@contextlib.contextmanager
def receipts_seen():
    """The receipts the launcher hands to :meth:`BatchCosts.add` inside the block."""
    seen: list[StoredBatch] = []
    add = batchcost.BatchCosts.add

    def counted(self, receipt: StoredBatch) -> None:
        seen.append(receipt)
        add(self, receipt)

    batchcost.BatchCosts.add = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        batchcost.BatchCosts.add = add  # type: ignore[method-assign]


def where_time_went(receipts: list[StoredBatch]) -> str:
    """Shares of the worker threads' time (see the module's notes)."""
    by_slot = collections.defaultdict(list)
    for receipt in receipts:
        by_slot[receipt.slot].append(receipt)
    first = min(r.began for r in receipts)
    last = max(r.ended for r in receipts)
    shares = dict.fromkeys(("model", "before", "in task", "between", "after"), 0.0)
    for batches in by_slot.values():
        batches.sort(key=lambda r: r.began)
        shares["before"] += batches[0].began - first
        shares["after"] += last - batches[-1].ended
        for receipt in batches:
            shares["model"] += receipt.seconds
            shares["in task"] += receipt.ended - receipt.began - receipt.seconds
        for previous, receipt in itertools.pairwise(batches):
            shares["between"] += receipt.began - previous.ended
    total = len(by_slot) * (last - first)
    return ", ".join(f"{name} {value / total:.2f}" for name, value in shares.items())


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
            began = time.perf_counter()
            warm(client, work, ms, points, processes)
            cluster_startup = time.perf_counter() - began
            samples = int(workers * seconds * 1000 / ms)
            target = study(work, samples, ms, points, client.scheduler.address)
            with receipts_seen() as receipts:
                result = uqscale.run(target, work / "run", client=client, report=False)
        timings = result.timings
        batches = len(RunStore(work / "run").part_files())
        busy = timings["ensemble_busy"]
        lost = (workers * busy - timings["model"]) / batches
        return (
            f"{workers:4d} workers: efficiency {timings['model'] / (workers * busy):.2f}, "
            f"launcher CPU {1000 * timings['ensemble_launcher_cpu'] / batches:.1f} ms per "
            f"batch, {batches / workers:.1f} batches per worker, {lost:.2f} s per batch "
            f"beyond the model, first submit to last "
            f"receipt {busy:.1f} s; start-up: cluster {cluster_startup:.1f} s (once), run "
            f"{timings['design'] + timings.get('store_create', 0):.1f} s\n"
            f"      threads' time: {where_time_went(receipts)}"
        )
    finally:
        for process in started:
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


def main(seconds: float, ms: float, points: int, processes: int) -> None:
    print(f"{seconds:g} s of {ms:g} ms samples per worker, {points}-point field")
    for workers in WORKERS if len(sys.argv) < 6 else [int(w) for w in sys.argv[5].split(",")]:
        before, began = os.times(), time.perf_counter()
        line = measure(workers, seconds, ms, points, processes)
        after, wall = os.times(), time.perf_counter() - began
        cpu = sum(after[:4]) - sum(before[:4])  # this process and its ended children
        print(f"{line}; process tree {cpu / wall:.2f} cores of {os.cpu_count()}", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the cluster on a timeout
    main(*positional((30.0, 10.0, 100, 4)))
