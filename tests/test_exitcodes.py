"""One test per row of the exit-code table (uqscale/exitcodes.py), each through the
``uqscale`` command in a subprocess, on the session's real Dask cluster where the
row needs one."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.small_studies import on, uqscale, write_study
from uqscale.exitcodes import ExitCode
from uqscale.store import RunStore


def test_0_ok_when_every_analysis_was_computed(tmp_path, client):
    done = uqscale(
        "run", write_study(tmp_path / "s"), "--out", tmp_path / "run", *on(client), "--quiet"
    )
    assert done.returncode == ExitCode.OK == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # --quiet: nothing to say


def test_1_runtime_error_one_line(tmp_path):
    done = uqscale("resume", tmp_path / "nothing")
    assert done.returncode == ExitCode.RUNTIME_ERROR == 1
    assert (
        done.stderr == f"error: {tmp_path / 'nothing'}: not a uqscale run folder (no study.yaml)\n"
    )


def test_2_study_error_names_the_parameter(tmp_path):
    study = write_study(tmp_path / "s", parameters={"qq": 0.05})
    done = uqscale("run", study, "--out", tmp_path / "run", "--quiet")
    assert done.returncode == ExitCode.STUDY_ERROR == 2
    assert done.stderr == (
        "error: models[0].parameters.qq: function smallmodels_uq:works has no parameter 'qq'\n"
    )
    assert not (tmp_path / "run").exists()


def test_3_some_analyses_not_computed(tmp_path, client):
    # z is NaN for every sample and kept (nonfinite: keep): its moments cannot exist.
    study = write_study(tmp_path / "s", "nan_z", execution={"nonfinite": "keep"})
    done = uqscale("run", study, "--out", tmp_path / "run", *on(client), "--quiet")
    assert done.returncode == ExitCode.ANALYSES_MISSING == 3, done.stderr
    assert done.stderr.startswith("analyses not computed: moments (")
    assert "'z'" in done.stderr


def test_4_every_sample_failed_names_the_cause(tmp_path, client):
    study = write_study(tmp_path / "s", "never", execution={"fail_fast": False})
    run = tmp_path / "run"
    done = uqscale("run", study, "--out", run, *on(client), "--quiet")
    assert done.returncode == ExitCode.ALL_FAILED == 4, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "32 of 32 samples failed; most often (32 x) RuntimeError in step "
        "'m': solver diverged at step 3"
    )
    assert f"`uqscale status {run}` shows every failure" in lines
    assert (
        f"after a fix, `uqscale resume {run} --retry-failed` runs the failed samples again" in lines
    )
    again = uqscale("run", study, "--out", run, *on(client), "--quiet")
    assert again.returncode == 4
    assert "32 failed samples of earlier sessions were kept, not run again" in again.stderr


def test_5_stopped_early_on_a_broken_model_and_resumable(tmp_path, client):
    study = write_study(tmp_path / "s", "never", n=400, parameters={"delay": 0.005})
    run = tmp_path / "run"
    done = uqscale("run", study, "--out", run, *on(client), "--quiet")
    assert done.returncode == ExitCode.STOPPED_EARLY == 5, done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: stopped early: the first ")
    assert first.endswith(
        "samples all failed in step 'm' with RuntimeError: solver diverged at step 3"
    )
    assert 'raise RuntimeError("solver diverged at step 3")' in done.stderr  # traceback tail
    stored, _ = RunStore.open(run).sample_state(400)
    assert 20 <= stored.sum() < 400
    status = uqscale("status", run)
    assert status.stdout.splitlines()[0] == f"{run}: study 'small', stopped early"
    # Fixed model: the changed code is refused unless failed samples are retried.
    models = tmp_path / "s" / "smallmodels_uq.py"
    models.write_text(
        models.read_text().replace("def never", "def broken").replace("def works", "def never")
    )
    refused = uqscale("resume", run, "--quiet")  # on the cluster the study recorded
    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: {run}: the model code changed since this run started "
        f"(smallmodels_uq.py); add --retry-failed to recompute the "
        f"failed samples or --rerun to recompute every sample in "
        f"place\n"
    )
    fixed = uqscale("resume", run, "--retry-failed", "--quiet")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads((run / "indices.json").read_text())["failed"] == 0


@pytest.mark.slow
def test_130_ctrl_c_prints_one_line_with_the_resume_command(tmp_path):
    study = write_study(tmp_path / "s", n=400, parameters={"delay": 0.05})
    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "uqscale.cli", "run", study, "--out", run],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(list((run / "parts").glob("*.nc"))) < 3:
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitCode.INTERRUPTED == 130
    stored = int(RunStore.open(run).sample_state(400)[0].sum())
    assert stderr == (
        f"interrupted: {stored} of 400 samples are stored in {run}; "
        f"`uqscale resume {run}` goes on\n"
    )
    assert stored >= 3


def test_141_a_closed_pipe_ends_quietly(tmp_path, client):
    run = tmp_path / "run"
    assert (
        uqscale("run", write_study(tmp_path / "s"), "--out", run, *on(client), "--quiet").returncode
        == 0
    )
    # The reader is gone before the report is written (`true` reads nothing and exits at
    # once; uqscale takes a second to load the run), so writing meets a closed pipe
    # whatever the report's size (`| head` would not: a short report fits the pipe).
    done = subprocess.run(
        f"{sys.executable} -m uqscale.cli report {run} --format md | "
        f"(exec 0<&-; sleep 0.2); exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == ExitCode.CLOSED_PIPE == 141
    assert done.stderr == ""
