"""uqscale's cost per assimilation cycle beyond model time, 40 members on 2 workers.

A: ``uqscale.api.run`` of a line twin (``tests/assimilation/line_study.py``: a
vectorised model that costs microseconds, so what a cycle takes is the machinery's):
each cycle a stored run folder, its batches and analysis written durably.
B: the bare loop on the same Dask client: the members' forecast as two tasks, gathered,
the same ETKF in memory, nothing stored. Interleaved A, B, A, B; the best of each.

Run: ``python benchmarks/assimilation_cycles.py`` (from the repository root)
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.assimilation.line_study import TIMES, observations, write_line_study  # noqa: E402
from uqscale import api  # noqa: E402
from uqscale.assimilation.ensemble import prior_members  # noqa: E402
from uqscale.assimilation.filters import etkf  # noqa: E402
from uqscale.study import load_study  # noqa: E402

MEMBERS, CYCLES, REPEATS = 40, 10, 2


def line(values: np.ndarray) -> np.ndarray:
    """The line model on a (k, 2) block of members: (k, len(TIMES))."""
    return values[:, :1] + values[:, 1:] * np.asarray(TIMES)


def uqscale_seconds(study_file: Path, client: object, out: Path) -> tuple[float, float]:
    """Wall seconds of the whole run, and the models' own seconds summed over cycles."""
    began = time.perf_counter()
    api.run(load_study(study_file), out, client=client)
    wall = time.perf_counter() - began
    model = sum(
        json.loads(p.read_text())["seconds"]["model"]
        for p in sorted((out / "cycles").glob("*/provenance.json"))
    )
    return wall, model


def bare_seconds(study_file: Path, client: object) -> float:
    """Wall seconds of the same cycles as a bare Dask loop."""
    study = load_study(study_file)
    rows = observations([float(t) for t in range(1, CYCLES + 1)], seed=3)
    members = prior_members(study, MEMBERS)
    began = time.perf_counter()
    for k, row in enumerate(rows):
        halves = np.array_split(members, 2)
        fields = np.concatenate(client.gather([client.submit(line, h) for h in halves]))
        predicted = np.array([np.interp(row["time"], TIMES, f) for f in fields])[:, None]
        states = np.hstack([members, predicted])
        members = etkf(states, predicted, np.array([row["value"]]), np.array([0.3]))[:, :2]
        del k
    return time.perf_counter() - began


def main() -> None:
    from distributed import Client, LocalCluster

    times = [float(t) for t in np.linspace(0.1, 5.0, CYCLES)]
    with (
        tempfile.TemporaryDirectory() as scratch,
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        folder = Path(scratch)
        study_file = write_line_study(
            folder / "study", observations(times, seed=3), members=MEMBERS
        )
        ours, bare = [], []
        for repeat in range(REPEATS):
            ours.append(uqscale_seconds(study_file, client, folder / f"run{repeat}"))
            bare.append(bare_seconds(study_file, client))
    wall, model = min(ours)
    per_cycle = (wall - model) / CYCLES
    bare_per_cycle = min(bare) / CYCLES
    print(f"{CYCLES} cycles of {MEMBERS} members on 2 workers (best of {REPEATS}, interleaved)")
    print(f"uqscale: {wall:.2f} s in all, model {model:.3f} s: {per_cycle:.3f} s a cycle beyond")
    print(f"bare Dask loop: {bare_per_cycle:.4f} s a cycle; ratio {per_cycle / bare_per_cycle:.0f}")


if __name__ == "__main__":
    main()
