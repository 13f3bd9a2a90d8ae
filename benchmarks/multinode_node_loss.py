"""The multi-node SLURM of ``cluster/slurm/up.sh``: bring-up time, and what a run loses
when a compute node goes down mid-run.

1. ``down.sh`` then ``up.sh`` (packages already installed), REPEATS times: seconds to
   every node idle, and the number of nodes.
2. A study of SAMPLES slow samples through ``--cluster slurm`` on the namespace nodes
   (``cluster/slurm/nodes.yaml``, three worker jobs), every process in one node's
   namespace SIGKILLed once workers on three nodes are evaluating and a batch is
   stored (the scenario of ``tests/cluster/test_multinode.py``). Prints the samples
   stored, lost and evaluated more than once, and the run's wall time. ``up.sh`` then
   brings the node back.

Needs root. Run: ``python benchmarks/multinode_node_loss.py [REPEATS] [SAMPLES]``
"""

from __future__ import annotations

import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from common import ROOT

sys.path.insert(0, str(ROOT))
from tests.cluster.test_multinode import NODES_PROFILE, kill_node
from tests.logged_runs import log_calls, logged_study, run_with_fault

SLURM = ROOT / "cluster" / "slurm"


def bring_up() -> float:
    """Seconds for ``up.sh`` from a stopped cluster."""
    subprocess.run(["bash", str(SLURM / "down.sh")], check=True, capture_output=True)
    began = time.perf_counter()
    subprocess.run(["bash", str(SLURM / "up.sh")], check=True, capture_output=True)
    return time.perf_counter() - began


def node_loss(samples: int, folder: Path) -> None:
    study = logged_study(
        folder / "study",
        "node-loss",
        29,
        samples,
        0.04,
        f"""
          cluster: slurm
          profile: "{NODES_PROFILE}"
          minimum_jobs: 3
          maximum_jobs: 3
    """,
    )
    calls, run_dir = folder / "study" / "calls", folder / "run"
    env = {
        **os.environ,
        "DASK_JOBQUEUE__SLURM__LOG_DIRECTORY": str(folder / "logs"),
        "DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "1s",
    }
    victim: list[str] = []

    def take_a_node_down() -> None:
        victim.append(sorted({host for _, host in log_calls(calls)})[-1])
        kill_node(victim[0])

    began = time.perf_counter()
    run_with_fault(
        [sys.executable, "-m", "uqscale.cli", "run", str(study), "--out", str(run_dir), "--quiet"],
        run_dir,
        lambda: len({host for _, host in log_calls(calls)}) >= 3,
        take_a_node_down,
        300,
        cwd=folder,
        env=env,
    )
    wall = time.perf_counter() - began
    stored = np.concatenate(
        [xr.load_dataset(p)["sample"].values for p in sorted((run_dir / "parts").glob("*.nc"))]
    )
    evaluations = collections.Counter(
        line.split()[0] for log in calls.glob("*.log") for line in log.read_text().splitlines()
    )
    hosts = sorted({host for _, host in log_calls(calls)})
    print(f"node loss: workers on {hosts}, {victim[0]} taken down mid-run")
    print(
        f"  samples {samples}: stored {len(set(stored))} (rows {len(stored)}), "
        f"lost {samples - len(set(stored))}, evaluated more than once "
        f"{sum(1 for n in evaluations.values() if n > 1)} (the lost node's batch)"
    )
    print(f"  run wall time {wall:.1f} s")
    subprocess.run(["bash", str(SLURM / "up.sh")], check=True, capture_output=True)


def main(repeats: int = 3, samples: int = 600) -> None:
    times = [bring_up() for _ in range(repeats)]
    nodes = subprocess.run(
        ["sinfo", "-h", "-N", "-o", "%N"], capture_output=True, text=True, check=True
    ).stdout.split()
    print(
        f"bring-up (packages installed): {len(set(nodes))} nodes "
        f"({len(set(nodes)) - 1} in namespaces), median {statistics.median(times):.1f} s "
        f"of {[round(t, 1) for t in times]}"
    )
    with tempfile.TemporaryDirectory(prefix="uqscale-nodeloss-") as folder:
        node_loss(samples, Path(folder))


if __name__ == "__main__":
    main(*map(int, sys.argv[1:3]))
