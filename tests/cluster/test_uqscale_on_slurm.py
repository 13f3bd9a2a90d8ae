"""``uqscale run`` on the real single-node SLURM of ``cluster/slurm/up.sh``.

Each test runs the command in a subprocess, as a user would: workers are SLURM batch
jobs submitted by dask-jobqueue with uqscale's packaged profiles. Without a usable SLURM the
tests are skipped, except under CI (``CI`` set), where that is a failure.

Models run in batch jobs, i.e. in new processes: they come from ``uqscale.testfunctions``
(installed) or from a module in the study's folder, never from this test module.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xarray as xr

import uqscale
from tests.cluster.conftest import PROFILES, SINGLE_NODE, in_ci
from tests.logged_runs import (
    assert_every_sample_stored_once,
    log_times,
    logged_study,
    run_with_fault,
)
from uqscale.study.files import load_study

pytestmark = pytest.mark.cluster

TIMEOUT = 90  # seconds for any one run: a broken worker fails the test, never hangs it


def job_state(job_id: str) -> str:
    """Slurm state of a job, "" once it is forgotten (MinJobAge)."""
    out = subprocess.run(
        ["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T"], capture_output=True, text=True
    )
    return out.stdout.strip()


def ishigami_study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(
        textwrap.dedent("""
        study: on-slurm
        seed: 17
        inputs:
          x1: {distribution: uniform, low: -3.14159, high: 3.14159, scale: micro}
          x2: {distribution: uniform, low: -3.14159, high: 3.14159, scale: macro}
          x3: {distribution: uniform, low: -3.14159, high: 3.14159, scale: macro}
        models:
          - {name: f, python: "uqscale.testfunctions:ishigami", inputs: [x1, x2, x3],
             outputs: [y], vectorized: true}
        analysis:
          - {method: sobol, n: 256}
          - {method: pce, order: 4, n: 200}
          - {method: moments}
    """)
    )
    return folder / "study.yaml"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment on the single node, worker job logs in ``tmp_path/logs``."""
    return {
        **os.environ,
        **SINGLE_NODE,
        "DASK_JOBQUEUE__SLURM__LOG_DIRECTORY": str(tmp_path / "logs"),
        **extra,
    }


def uqscale_command(*args) -> list[str]:
    return [sys.executable, "-m", "uqscale.cli", *map(str, args)]


def logged_jobs(logs: Path) -> set[str]:
    """Slurm job ids of the worker jobs that wrote logs (``NAME-<id>.err``)."""
    return {p.stem.rsplit("-", 1)[1] for p in logs.glob("*.err")}


def wait_until_gone(job_ids: set[str]) -> dict[str, str]:
    """The jobs' final states, once none is pending or running (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        states = {job: job_state(job) for job in job_ids}
        if (
            not set(states.values()) & {"PENDING", "RUNNING", "COMPLETING"}
            or time.monotonic() > deadline
        ):
            return states
        time.sleep(0.2)


def test_slurm_run_gives_the_local_indices(slurm, tmp_path, client):
    study_file = ishigami_study(tmp_path / "study")
    local = uqscale.run(load_study(study_file), tmp_path / "local", client=client)
    done = subprocess.run(
        uqscale_command(
            "run",
            study_file,
            "--out",
            tmp_path / "slurm",
            "--quiet",
            "--cluster",
            "slurm",
            "--jobs",
            2,
            "--profile",
            "slurm",
        ),
        cwd=tmp_path,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr

    folder = tmp_path / "slurm"
    assert json.loads((folder / "indices.json").read_text()) == json.loads(
        (tmp_path / "local" / "indices.json").read_text()
    )
    xr.testing.assert_identical(xr.load_dataset(folder / "results.nc"), local.results.load())
    # Two worker jobs were submitted, and the run's end ended them.
    jobs = logged_jobs(tmp_path / "logs")
    assert len(jobs) == 2, jobs
    assert set(wait_until_gone(jobs).values()) <= {"", "CANCELLED", "COMPLETED"}


def test_a_cancelled_worker_job_loses_no_sample(slurm, tmp_path):
    samples, delay = 300, 0.03
    folder = tmp_path / "study"
    logged_study(
        folder,
        "cancelled-job",
        23,
        samples,
        delay,
        f"""
          cluster: slurm
          profile: "{PROFILES / "slurm.yaml"}"
          minimum_jobs: 2
          maximum_jobs: 2
    """,
    )
    run_dir = tmp_path / "run"
    env = environment(tmp_path, DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT="1s")

    def jobs_with_calls() -> set[str]:
        return {p.stem.split("-")[0] for p in (folder / "calls").glob("*.log")}

    original: set[str] = set()

    def cancel_a_job() -> None:
        original.update(jobs_with_calls())
        subprocess.run(["scancel", sorted(original)[0]], check=True)

    # Once both jobs are evaluating samples and a batch is stored: cancel one job.
    cancelled_at = run_with_fault(
        uqscale_command("run", folder / "study.yaml", "--out", run_dir, "--quiet"),
        run_dir,
        lambda: len(jobs_with_calls()) >= 2,
        cancel_a_job,
        TIMEOUT,
        cwd=tmp_path,
        env=env,
    )
    victim = sorted(original)[0]

    # Cancelled mid-run, and the run went on without it.
    assert job_state(victim) in ("", "CANCELLED")
    after = [
        t
        for log in (folder / "calls").glob("*.log")
        if not log.name.startswith(f"{victim}-")
        for t in log_times(log)
    ]
    assert max(after) > cancelled_at + 1
    assert_every_sample_stored_once(run_dir, samples)

    # adapt(minimum_jobs=2, maximum_jobs=2) submitted a job in place of the cancelled one.
    submitted = logged_jobs(tmp_path / "logs")
    assert original < submitted and len(submitted) == 3, (original, submitted)


def test_pbs_run_through_slurms_torque_wrappers(slurm, tmp_path, client):
    # No PBS server here: qsub/qdel are Slurm's Torque wrappers (slurm-wlm-torque), which
    # hand dask-jobqueue's #PBS job script to sbatch. This checks uqscale's pbs target
    # and the PBS profile end to end, not PBS itself.
    qsub = shutil.which("qsub")
    if qsub is None or "slurm" not in Path(qsub).read_text(errors="replace").lower():
        problem = f"qsub at {qsub} is not Slurm's Torque wrapper (package slurm-wlm-torque)"
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    study_file = ishigami_study(tmp_path / "study")
    local = uqscale.run(load_study(study_file), tmp_path / "local", client=client)
    # The profile leaves the interface to the site; on one node it is the loopback,
    # given the way a user overrides a profile: an environment variable.
    env = environment(tmp_path, DASK_JOBQUEUE__PBS__INTERFACE="lo")
    done = subprocess.run(
        uqscale_command(
            "run",
            study_file,
            "--out",
            tmp_path / "pbs",
            "--quiet",
            "--cluster",
            "pbs",
            "--jobs",
            1,
            "--profile",
            "pbs",
        ),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "pbs" / "indices.json").read_text()) == local.indices
    # The wrapper writes the job's output as <script>.o<id> into the submitting folder.
    jobs = {p.suffix[2:] for p in tmp_path.glob("*.sh.o*")}
    assert len(jobs) == 1, jobs
    assert set(wait_until_gone(jobs).values()) <= {"", "CANCELLED", "COMPLETED"}
