"""Issue 17 point 2: probes are never sized blind, the launcher's cost per batch is
its processor time, counted from the first submit to the last receipt, and batches are
sized from the model's time and the receipt cost: the overhead a small share of each
batch, several batches per worker, capped in bytes, the run's end split evenly."""

from __future__ import annotations

import heapq
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.test_store_virtual import field_study
from uqscale.design import build_design, design_columns
from uqscale.execute import runner
from uqscale.execute.batchcost import BatchCosts
from uqscale.execute.runner import (
    BATCH_BYTES,
    OVERHEAD_SHARE,
    PROBE_SIZE_VECTORIZED,
    PROBE_SPREAD,
    TAIL_SHRINK,
    Throughput,
    batch_size_for,
    probe_size,
    run_batches,
    worker_slots,
)
from uqscale.models.evaluate import Pipeline
from uqscale.records import BatchResult
from uqscale.store import RunStore, StoredBatch


def run_field_study(client: Any, n: int, folder: Path) -> tuple[Throughput, list[BatchResult]]:
    """Run ``n`` samples of the field study on ``client``, each batch stored in a run
    folder at ``folder`` by its worker: the throughput and the receipts."""
    study = field_study(n)
    design = build_design(study)
    store = RunStore.create(folder, study, "", design, {})
    names = design_columns(study)
    arrived: list[BatchResult] = []
    throughput = run_batches(
        client,
        Pipeline.from_study(study),
        names,
        np.column_stack([design[name].values for name in names]),
        [(0, n)],
        lambda result, _: arrived.append(result),
        store=store.part_writer({o.name: o.dims for o in study.outputs}, 1),
    )
    return throughput, arrived


def test_probes_are_staggered_around_probe_size_and_the_launcher_is_timed(client, tmp_path):
    n = 20_000
    began = time.perf_counter()
    throughput, arrived = run_field_study(client, n, tmp_path / "run")
    wall = time.perf_counter() - began
    sizes = [r.stop - r.start for r in sorted(arrived, key=lambda r: r.start)]
    assert sum(sizes) == n
    # Before anything is measured, each slot gets two probes (the second one runs
    # while the first one's receipt travels back), of sizes spread around the probe
    # size so that they do not all finish at once.
    probes = 2 * worker_slots(client)
    assert sizes[:probes] == [probe_size(True, k, probes) for k in range(probes)]
    assert len(set(sizes[:probes])) == probes
    assert abs(np.mean(sizes[:probes]) / PROBE_SIZE_VECTORIZED - 1) <= PROBE_SPREAD / probes
    assert max(sizes[probes:]) > PROBE_SIZE_VECTORIZED  # then sized from measurements
    assert throughput.batches == len(arrived)
    assert 0 < throughput.busy_seconds <= wall
    assert throughput.launcher_seconds > 0
    assert throughput.launcher_per_batch() == throughput.launcher_seconds / len(arrived)


def test_receipts_are_timed_on_the_worker_that_stored_them(client, tmp_path):
    _, arrived = run_field_study(client, 4_000, tmp_path / "run")
    assert all(isinstance(r, StoredBatch) for r in arrived)
    workers = {info["id"] for info in client.scheduler_info()["workers"].values()}
    assert len({r.slot for r in arrived}) == len(workers) == 2  # one thread each
    for r in arrived:
        assert isinstance(r, StoredBatch)
        assert r.began > 0 and r.ended - r.began >= r.seconds  # storing takes time too


def test_every_batch_after_the_probes_is_capped_in_bytes(client, tmp_path, monkeypatch):
    # A 32 kB cap (a probe is 24 kB), which a few hundred samples of the field study
    # reach: the first batch sized after the probes already knows a sample's bytes.
    monkeypatch.setattr(runner, "BATCH_BYTES", 32 * 2**10)
    _, arrived = run_field_study(client, 20_000, tmp_path / "run")
    stored = [r for r in arrived if isinstance(r, StoredBatch)]
    per_sample = min(r.size / (r.stop - r.start) for r in stored)
    assert max(r.stop - r.start for r in stored) <= 32 * 2**10 / per_sample


def simulate(
    slots: int, seconds: float, overhead: float
) -> tuple[float, list[tuple[float, float]]]:
    """Guided self-scheduling of ``seconds`` of 1 ms samples per slot on ``slots``
    slots, each batch costing ``overhead`` beyond the model, each free slot taking
    the next batch at once: the efficiency, and each batch's model seconds with the
    model seconds left before it."""
    remaining, free, durations = int(slots * seconds * 1000), [0.0] * slots, []
    while remaining:
        size = batch_size_for(1e-3, remaining, slots, 0.0, 800, overhead)
        durations.append((size * 1e-3, remaining * 1e-3))
        remaining -= size
        heapq.heappush(free, heapq.heappop(free) + size * 1e-3 + overhead)
    return slots * seconds / (slots * max(free)), durations


@pytest.mark.parametrize("slots", [64, 128, 256])
def test_the_overhead_stays_a_small_share_and_each_worker_gets_several_batches(slots):
    overhead = 0.1  # what a batch costs at 128 workers on 2 cores
    efficiency, durations = simulate(slots, 30.0, overhead)
    assert len(durations) >= 4 * slots
    floor = overhead * (1 - OVERHEAD_SHARE) / OVERHEAD_SHARE
    # the overhead <= OVERHEAD_SHARE of each batch, but at the run's end, where less
    # than one such batch per worker is left
    bulk = [took for took, left in durations if left >= slots * floor]
    assert min(bulk) >= floor * (1 - 1e-3)
    assert len(bulk) >= 0.6 * len(durations)
    last = min(took for took, _ in durations[:-1])  # the very last: what was left
    assert last >= floor / TAIL_SHRINK * (1 - 1e-3)
    assert efficiency >= 0.9  # and the end leaves no worker idle for long


def test_the_end_is_split_evenly_rather_than_left_to_a_few_workers():
    # 20 ms of work left per worker, 1.9 s batches otherwise: each worker gets a part
    size = batch_size_for(1e-3, 128 * 500, 128, 0.0, 0.0, 0.1)
    assert size == 500
    assert batch_size_for(1e-3, 128 * 10, 128, 0.0, 0.0, 0.1) == 475  # a quarter, at least


def test_batches_are_capped_in_bytes_whatever_the_overhead():
    for overhead in (0.0, 0.1, 10.0):
        for per_sample in (8, 800, 80_000):
            size = batch_size_for(1e-3, 10**9, 4, 0.0, per_sample, overhead)
            assert size * per_sample <= BATCH_BYTES
    # 10 s of overhead asks for 190 s batches: 64 MiB come first
    assert batch_size_for(1e-3, 10**9, 4, 0.0, 80_000, 10.0) == BATCH_BYTES // 80_000


def receipt(slot: str, began: float, seconds: float, extra: float, size: int) -> StoredBatch:
    return StoredBatch(
        0, 1, {}, seconds=seconds, receipt=f"{size} x", began=began,
        ended=began + seconds + extra, slot=slot,
    )  # fmt: skip


def test_the_receipt_cost_counts_storing_and_the_wait_between_batches():
    costs = BatchCosts()
    costs.add(receipt("a", 10.0, 1.0, 0.02, 100))  # stored at 11.02
    costs.add(receipt("a", 11.05, 1.0, 0.02, 100))  # waited 0.03 s for it
    costs.add(receipt("b", 50.0, 1.0, 0.02, 100))  # another clock: no wait known
    assert costs.fixed() == pytest.approx((0.02 + 0.05 + 0.02) / 3)
    costs.add(StoredBatch(0, 1, {}, seconds=1.0, receipt="100 x"))  # not timed: left out
    assert costs.fixed() == pytest.approx((0.02 + 0.05 + 0.02) / 3)


def test_what_grows_with_the_batch_is_not_a_fixed_cost():
    # 30 ms a batch plus 1 µs a byte: larger batches must not look costlier per batch
    costs = BatchCosts()
    for i, size in enumerate(range(10_000, 400_000, 10_000)):
        costs.add(receipt(f"slot {i}", 0.0, 1.0, 0.03 + 1e-6 * size, size))
    assert costs.fixed() == pytest.approx(0.03)
    steady = BatchCosts()
    for i in range(10):
        steady.add(receipt(f"slot {i}", 0.0, 1.0, 0.05, 1000))  # one size: all of it
    assert steady.fixed() == pytest.approx(0.05)


def test_the_cost_follows_the_latest_receipts():
    costs = BatchCosts(window=4)
    for i in range(8):
        costs.add(receipt(f"slot {i}", 0.0, 1.0, 1.0 if i < 4 else 0.1, 1000))
    assert costs.fixed() == pytest.approx(0.1)
