"""Cost of durable batch writes (fsync of the part, its receipt and the folder before a
batch counts as stored) per batch, and its share of a run of the Ishigami study.

Interleaved A, B, A, B: ``write_batch`` as shipped (durable) and with the flushes
turned off (the baseline), on batches of the sizes an Ishigami run stores; then one
real run of ``studies/ishigami.yaml`` on a local cluster of two workers, whose
stored batches times the measured extra cost gives the share.

Run from the repository root: ``nice python benchmarks/durable_writes.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from uqscale import store as store_module
from uqscale.api import run
from uqscale.design import build_design
from uqscale.models.evaluate import BatchResult
from uqscale.store import RunStore
from uqscale.study.files import load_study

ROUNDS = 20


def time_batches(store: RunStore, size: int, durable: bool, start: int) -> float:
    """Seconds to store one batch of ``size`` samples (one output)."""
    flush = store_module._flush_file
    if not durable:
        store_module._flush_file = lambda path: None
    try:
        result = BatchResult(start, start + size, {"y": np.random.default_rng(0).random(size)})
        began = time.perf_counter()
        store.write_batch(result, {"y": ()})
        return time.perf_counter() - began
    finally:
        store_module._flush_file = flush


def main() -> None:
    study = load_study("studies/ishigami.yaml")
    with tempfile.TemporaryDirectory(dir=".") as folder:
        store = RunStore.create(Path(folder) / "run", study, "", build_design(study), {})
        for size in (256, 4096, 65536):
            times = {True: [], False: []}
            for k in range(ROUNDS):
                for durable in (True, False):
                    times[durable].append(
                        time_batches(store, size, durable, (2 * k + durable) * size)
                    )
            a, b = statistics.median(times[True]), statistics.median(times[False])
            print(
                f"batch of {size:6d} samples: durable {a * 1e3:7.2f} ms, without fsync "
                f"{b * 1e3:7.2f} ms, extra {(a - b) * 1e3:6.2f} ms a batch"
            )
        extra = a - b  # measured on the largest batches; the smaller ones are alike

        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            began = time.perf_counter()
            result = run(study, Path(folder) / "ishigami", client=client)
            wall = time.perf_counter() - began
        batches = len(RunStore(result.directory).part_files())
        print(
            f"Ishigami run: {result.design.sizes['sample']} samples in {batches} batches, "
            f"{wall:.2f} s wall; storing batches {result.timings['store_batches']:.3f} s; "
            f"durable writes add about {batches * extra * 1e3:.1f} ms "
            f"= {100 * batches * extra / wall:.2f} % of the run"
        )


if __name__ == "__main__":
    main()
