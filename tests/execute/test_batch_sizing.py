"""Issue 17 point 2: probes are never sized blind, and the launcher's cost per batch is
its processor time, counted from the first submit to the last receipt."""

from __future__ import annotations

import time

import numpy as np

from tests.test_store_virtual import field_study
from uqscale.design import build_design, design_columns
from uqscale.execute.runner import PROBE_SIZE_VECTORIZED, run_batches, worker_slots
from uqscale.models.evaluate import Pipeline
from uqscale.records import BatchResult
from uqscale.store import RunStore


def test_probes_are_all_of_probe_size_and_the_launcher_is_timed(client, tmp_path):
    n = 20_000
    study = field_study(n)
    design = build_design(study)
    store = RunStore.create(tmp_path / "run", study, "", design, {})
    names = design_columns(study)
    arrived: list[BatchResult] = []
    began = time.perf_counter()
    throughput = run_batches(
        client,
        Pipeline.from_study(study),
        names,
        np.column_stack([design[name].values for name in names]),
        [(0, n)],
        lambda result, _: arrived.append(result),
        store=store.part_writer({o.name: o.dims for o in study.outputs}, 1),
    )
    wall = time.perf_counter() - began
    sizes = [r.stop - r.start for r in sorted(arrived, key=lambda r: r.start)]
    assert sum(sizes) == n
    # Before anything is measured, each slot gets two probes of the same size
    # (the second one runs while the first one's receipt travels back).
    probes = 2 * worker_slots(client)
    assert sizes[:probes] == [PROBE_SIZE_VECTORIZED] * probes
    assert max(sizes[probes:]) > PROBE_SIZE_VECTORIZED  # then sized from measurements
    assert throughput.batches == len(arrived)
    assert 0 < throughput.busy_seconds <= wall
    assert throughput.launcher_seconds > 0
    assert throughput.launcher_per_batch() == throughput.launcher_seconds / len(arrived)
