"""Dask on the real single-node SLURM of ``cluster/slurm/up.sh``.

These tests submit real batch jobs. They need a running SLURM: bring it up with
``bash cluster/slurm/up.sh``. Without one they are skipped, except under CI (``CI`` set),
where a missing SLURM is an error.

PBS is exercised through Slurm's Torque wrappers (``qsub``/``qdel`` from
slurm-wlm-torque): that checks dask-jobqueue's PBS job scripts and job-id parsing, not a
PBS server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import dask
import pytest

from tests.cluster.conftest import PROFILES

pytestmark = pytest.mark.cluster

N_ITEMS = 40
TIMEOUT = 60  # seconds for any one wait: a broken worker fails the test, never hangs it

# Workers run in batch jobs, as new processes: functions defined here reach them by
# reference (module + name), so this module must be importable there too. (cloudpickle's
# register_pickle_by_value does not help: distributed only honours it for the top-level
# object it pickles, not for a function inside a task.)
IMPORT_ROOT = Path(__file__).resolve().parents[__name__.count(".")]
PROLOGUE = [f"export PYTHONPATH={IMPORT_ROOT}${{PYTHONPATH:+:$PYTHONPATH}}"]


def affine(x: int, delay: float = 0.05) -> int:
    """The pure function mapped over the items; the sleep spreads them over workers."""
    time.sleep(delay)
    return 3 * x + 1


def slurm_job_id() -> str:
    """Run on a worker: the Slurm job it lives in."""
    return os.environ.get("SLURM_JOB_ID", "")


def profile(name: str) -> dict:
    """The packaged profile ``<name>.yaml`` as flat dotted keys for ``dask.config.set``.

    Setting ``{"jobqueue": {...}}`` would replace the whole ``jobqueue`` section and drop
    dask-jobqueue's own defaults; dotted keys change only what the profile names.
    """
    import dask_jobqueue  # noqa: F401  (registers the jobqueue defaults)

    collected = dask.config.collect(paths=[str(PROFILES / f"{name}.yaml")], env={})
    section = collected["jobqueue"][name]
    return {f"jobqueue.{name}.{key}": value for key, value in section.items()}


def worker_jobs(client, on_error: str = "raise") -> dict[str, str]:
    """Worker address -> Slurm job id, asked of the workers themselves."""
    return client.run(slurm_job_id, on_error=on_error)


def squeue_ids() -> set[str]:
    out = subprocess.run(["squeue", "-h", "-o", "%i"], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def job_state(job_id: str) -> str:
    """Slurm state of a job, "" once it is forgotten (MinJobAge)."""
    out = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"], capture_output=True, text=True
    )
    return out.stdout.strip()


def test_slurm_cluster_maps_over_two_jobs(slurm, tmp_path):
    from dask_jobqueue import SLURMCluster
    from distributed import Client, wait

    with (
        dask.config.set(profile("slurm")),
        SLURMCluster(
            log_directory=str(tmp_path), job_script_prologue=PROLOGUE, interface="lo"
        ) as cluster,
        Client(cluster) as client,
    ):
        cluster.scale(jobs=2)
        client.wait_for_workers(2, timeout=TIMEOUT)
        submitted = {job.job_id for job in cluster.workers.values()}
        assert len(submitted) == 2
        assert submitted <= squeue_ids()

        futures = client.map(affine, range(N_ITEMS))
        wait(futures, timeout=TIMEOUT)
        results = client.gather(futures)
        assert results == [3 * x + 1 for x in range(N_ITEMS)]

        # The results were computed by two workers, each inside one of our two jobs.
        holders = {addr for addrs in client.who_has(futures).values() for addr in addrs}
        jobs = worker_jobs(client)
        assert len(holders) == 2
        assert {jobs[addr] for addr in holders} == submitted


def test_adaptive_cluster_survives_a_cancelled_job(slurm, tmp_path):
    from dask_jobqueue import SLURMCluster
    from distributed import Client, as_completed

    settings = {**profile("slurm"), "distributed.deploy.lost-worker-timeout": "1s"}
    with (
        dask.config.set(settings),
        SLURMCluster(
            log_directory=str(tmp_path), job_script_prologue=PROLOGUE, interface="lo"
        ) as cluster,
        Client(cluster) as client,
    ):
        cluster.adapt(minimum_jobs=2, maximum_jobs=2)
        client.wait_for_workers(2, timeout=TIMEOUT)
        # Job id strings only: holding a cancelled job's Job object makes
        # cluster.close() fail an assertion in dask-jobqueue 0.9.0.
        jobs = worker_jobs(client)
        original = set(jobs.values())
        assert len(original) == 2
        victim = sorted(original)[0]
        (victim_address,) = [address for address, job in jobs.items() if job == victim]

        # 40 x 0.2 s on two one-thread workers: the cancel lands well before the end.
        futures = client.map(affine, range(N_ITEMS), delay=0.2)
        seen: list[str] = []
        results: dict[str, int] = {}
        outstanding_when_lost = None
        for future, value in as_completed(futures, with_results=True, timeout=TIMEOUT):
            seen.append(future.key)
            results[future.key] = value
            if len(seen) == 5:
                subprocess.run(["scancel", victim], check=True)
            elif (
                len(seen) > 5
                and outstanding_when_lost is None
                and victim_address not in client.scheduler_info()["workers"]
            ):
                outstanding_when_lost = N_ITEMS - len(seen)

        # The worker left while results were still outstanding: a kill mid-map.
        assert outstanding_when_lost, "the cancelled worker was still there at the end of the map"
        # Every result arrived exactly once, and right.
        assert len(seen) == N_ITEMS and len(set(seen)) == N_ITEMS
        assert [results[f.key] for f in futures] == [3 * x + 1 for x in range(N_ITEMS)]
        assert client.gather(futures) == [3 * x + 1 for x in range(N_ITEMS)]

        # adapt() replaces the cancelled job with a new one.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(worker_jobs(client, on_error="ignore").values())
            if len(now) == 2 and victim not in now:
                break
            time.sleep(0.5)
        assert victim not in now and len(now) == 2, now
        assert len(now - original) == 1


def test_pbs_profile_job_script():
    from dask_jobqueue import PBSCluster

    with dask.config.set(profile("pbs")), PBSCluster(interface="lo") as cluster:
        script = cluster.job_script()
    lines = script.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    directives = [line for line in lines if line.startswith("#PBS")]
    assert directives == [
        "#PBS -N uqscale-worker",
        "#PBS -l select=1:ncpus=1:mem=954MB",
        "#PBS -l walltime=00:30:00",
    ]
    command = lines[-1]
    assert "-m distributed.cli.dask_worker tcp://127.0.0.1:" in command
    for option in (
        "--nthreads 1",
        "--memory-limit 0.93GiB",
        "--interface lo",
        "--local-directory ${TMPDIR:-/tmp}",
    ):
        assert option in command


def test_pbs_cluster_through_torque_wrappers(slurm, tmp_path, monkeypatch):
    from dask_jobqueue import PBSCluster
    from distributed import Client

    qsub = shutil.which("qsub")
    assert qsub and "slurm" in Path(qsub).read_text(errors="replace").lower(), (
        f"qsub at {qsub} is not Slurm's Torque wrapper (package slurm-wlm-torque)"
    )
    # The wrapper writes <script>.o<id>/.e<id> into the submitting directory.
    monkeypatch.chdir(tmp_path)
    with (
        dask.config.set(profile("pbs")),
        PBSCluster(interface="lo", job_script_prologue=PROLOGUE) as cluster,
        Client(cluster) as client,
    ):
        cluster.scale(jobs=1)
        client.wait_for_workers(1, timeout=TIMEOUT)
        (job_id,) = [job.job_id for job in cluster.workers.values()]
        assert client.submit(affine, 14).result(timeout=TIMEOUT) == 43
        assert list(worker_jobs(client).values()) == [job_id]

        # sbatch honoured the #PBS directives of dask-jobqueue's script.
        show = subprocess.run(
            ["scontrol", "show", "job", job_id], capture_output=True, text=True, check=True
        )
        assert "JobName=uqscale-worker" in show.stdout
        assert "TimeLimit=00:30:00" in show.stdout
        assert "mem=954M" in show.stdout
    # Closing the cluster ended the job (qdel, or the worker leaving with its scheduler).
    deadline = time.monotonic() + 10
    while True:
        state = job_state(job_id)
        if state not in ("PENDING", "RUNNING", "COMPLETING") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state in ("", "CANCELLED", "COMPLETED"), state
