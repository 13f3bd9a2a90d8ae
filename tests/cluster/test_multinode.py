"""``uqscale run --cluster slurm`` on the multi-node SLURM of ``cluster/slurm/up.sh``.

Each compute node is a slurmd in its own network and UTS namespace (its own hostname,
an address 127.77.0.1x on a veth into the bridge ``uqbr0`` of the root namespace), so
the Dask workers of a run are on other "hosts" than the launcher and reach its
scheduler over the bridge, with TLS, as on a real cluster. A node is then taken down
mid-run (every process in its namespace killed, slurmd included): no stored sample is
lost. Needs root (the node is brought back by ``up.sh`` afterwards).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.conftest import in_ci
from tests.logged_runs import (
    assert_every_sample_stored_once,
    log_calls,
    logged_study,
    run_with_fault,
)

pytestmark = pytest.mark.cluster

SLURM_DIR = Path(__file__).resolve().parents[2] / "cluster" / "slurm"
NODES_PROFILE = SLURM_DIR / "nodes.yaml"
BRIDGE_ADDRESS = "127.77.0.1"
TIMEOUT = 120  # seconds for the run: a broken cluster fails the test, never hangs it


def node_problem() -> tuple[list[str], str | None]:
    """The idle nodes of partition "nodes", and why they cannot be used (or None)."""
    done = subprocess.run(
        ["sinfo", "-h", "-N", "-p", "nodes", "-o", "%N %t"], capture_output=True, text=True
    )
    states = dict(line.split() for line in done.stdout.splitlines())
    idle = sorted(node for node, state in states.items() if state == "idle")
    if len(idle) < 3:
        found = states or done.stderr.strip()
        return idle, (
            f"fewer than 3 idle namespace nodes in partition 'nodes' ({found}); "
            f"bring them up with: bash cluster/slurm/up.sh"
        )
    if os.geteuid() != 0:
        return idle, "taking a node down needs root"
    return idle, None


@pytest.fixture
def nodes(slurm) -> list[str]:
    """The namespace nodes (skip without them, fail under CI); afterwards the nodes a
    test took down are brought back (up.sh restarts their slurmd)."""
    idle, problem = node_problem()
    if problem and in_ci():
        pytest.fail(f"CI is set but the multi-node SLURM is unusable: {problem}")
    if problem:
        pytest.skip(problem)
    yield idle
    subprocess.run(["bash", str(SLURM_DIR / "up.sh")], check=True, capture_output=True, timeout=120)


def kill_node(node: str) -> int:
    """Take a node down as a power cut would: SIGKILL every process in its network
    namespace (slurmd, job steps, the Dask worker). Returns how many were killed."""
    pids = subprocess.run(
        ["ip", "netns", "pids", node], capture_output=True, text=True, check=True
    ).stdout.split()
    assert pids, f"nothing runs in {node}"
    subprocess.run(["kill", "-KILL", *pids], check=True)
    return len(pids)


def worker_logs(logs: Path) -> tuple[set[str], set[str]]:
    """The workers' own addresses and the scheduler addresses they registered to,
    from the Dask worker jobs' logs."""
    text = "".join(p.read_text(errors="replace") for p in logs.glob("*.err"))
    workers = set(re.findall(r"Start worker at:\s+(\S+)", text))
    schedulers = set(re.findall(r"Registered to:\s+(\S+)", text))
    return workers, schedulers


def test_a_run_over_three_nodes_loses_no_sample_when_one_goes_down(nodes, tmp_path):
    samples, delay = 600, 0.04
    folder = tmp_path / "study"
    logged_study(
        folder,
        "multinode",
        29,
        samples,
        delay,
        f"""
          cluster: slurm
          profile: "{NODES_PROFILE}"
          minimum_jobs: 3
          maximum_jobs: 3
    """,
    )
    run_dir = tmp_path / "run"
    env = {
        **os.environ,
        "DASK_JOBQUEUE__SLURM__LOG_DIRECTORY": str(tmp_path / "logs"),
        "DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "1s",
    }
    calls = folder / "calls"
    hosts: set[str] = set()

    def take_a_node_down() -> None:
        hosts.update(host for _, host in log_calls(calls))
        kill_node(sorted(hosts)[-1])

    # Once workers on three nodes are evaluating samples and a batch is stored.
    killed_at = run_with_fault(
        [
            sys.executable,
            "-m",
            "uqscale.cli",
            "run",
            str(folder / "study.yaml"),
            "--out",
            str(run_dir),
            "--quiet",
        ],
        run_dir,
        lambda: len({host for _, host in log_calls(calls)}) >= 3,
        take_a_node_down,
        TIMEOUT,
        cwd=tmp_path,
        env=env,
    )
    victim = sorted(hosts)[-1]

    # Three distinct hosts, none of them the launcher's, all of them Slurm nodes.
    assert len(hosts) >= 3 and hosts <= set(nodes), (hosts, nodes)
    assert os.uname().nodename not in hosts
    # The workers listened on their nodes' addresses and reached the scheduler on the
    # bridge, over TLS; the launcher recorded the same scheduler.
    workers, schedulers = worker_logs(tmp_path / "logs")
    worker_hosts = {re.match(r"tls://([\d.]+):\d+$", w).group(1) for w in workers}
    assert len(worker_hosts) >= 3 and all(h.startswith("127.77.0.1") for h in worker_hosts)
    assert BRIDGE_ADDRESS not in worker_hosts
    (scheduler,) = schedulers
    assert re.fullmatch(rf"tls://{re.escape(BRIDGE_ADDRESS)}:\d+", scheduler), scheduler
    provenance = json.loads((run_dir / "provenance.json").read_text())
    assert scheduler in json.dumps(provenance)

    # The node went down mid-run, and the run went on without it.
    later = [(t, host) for t, host in log_calls(calls) if t > killed_at + 1]
    assert later and victim not in {host for _, host in later}
    # Every sample stored exactly once, none lost, none failed.
    assert_every_sample_stored_once(run_dir, samples)
