"""Crash safety: SIGKILL of the launcher, resume, locks, changed studies, status."""

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import uqscale
from uqscale.api import analyze
from uqscale.errors import UqscaleError
from uqscale.runs import resume
from uqscale.status import run_status
from uqscale.store import RunStore
from uqscale.study.files import load_study

SAMPLES = 96

MODEL = '''
import os, time

def slow(x1, x2, log_dir, delay):
    """y = x1 + x2^2 after a pause; every call is logged by the worker process."""
    with open(os.path.join(log_dir, f"{os.getpid()}.log"), "a") as log:
        log.write(f"{x1!r}\\n")
    time.sleep(delay)
    return {"y": x1 + x2 ** 2, "z": [x1, x2, x1 * x2]}
'''


def write_study(folder: Path, seed: int = 3) -> Path:
    (folder / "calls").mkdir(parents=True, exist_ok=True)
    (folder / "crashmodel_uq.py").write_text(MODEL)
    (folder / "study.yaml").write_text(
        textwrap.dedent(f"""
        study: resumable
        seed: {seed}
        inputs:
          x1: {{distribution: uniform, low: 0, high: 1, scale: micro}}
          x2: {{distribution: normal, mean: 0, std: 1, scale: macro}}
        models:
          - name: slow
            python: "crashmodel_uq:slow"
            inputs: [x1, x2]
            parameters: {{log_dir: "{folder / "calls"}", delay: 0.03}}
            outputs: [y, {{name: z, dims: [k], coords: {{k: [0, 1, 2]}}}}]
        analysis:
          - {{method: pce, order: 2, n: {SAMPLES}}}
          - {{method: moments}}
        execution: {{workers: 2, batch_size: 4}}
    """)
    )
    return folder / "study.yaml"


def logged_calls(folder: Path) -> list[float]:
    return [
        float(line) for log in (folder / "calls").glob("*.log") for line in log.read_text().split()
    ]


def launch(*args, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uqscale.cli", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_when_parts(process: subprocess.Popen, parts: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(parts.glob("*.nc"))) < count:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the run never stored a batch"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)  # the launcher, as a node reboot would
    process.wait()
    os.killpg(process.pid, signal.SIGKILL)  # and its orphaned Dask workers
    time.sleep(0.5)


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical_and_reruns_nothing(tmp_path, client):
    folder = tmp_path / "study"
    study_file = write_study(folder)
    run_dir = tmp_path / "run"
    killed = launch("run", study_file, "--out", run_dir, "--quiet", cwd=tmp_path)
    kill_when_parts(killed, run_dir / "parts", 3)

    store = RunStore.open(run_dir)
    done, _ = store.sample_state(SAMPLES)
    assert 0 < done.sum() < SAMPLES, "kill the launcher part way through"
    status = run_status(run_dir)
    assert status["state"] == "interrupted"
    assert status["done"] + status["failed"] + status["pending"] == SAMPLES
    assert status["pending"] == SAMPLES - done.sum()
    stored_x1 = set(store.design()["x1"].values[done])
    (folder / "calls").rename(folder / "calls-before-kill")
    (folder / "calls").mkdir()

    resumed = resume(run_dir, client=client)
    rerun = logged_calls(folder)
    assert resumed.ran == SAMPLES - done.sum()
    assert len(rerun) == SAMPLES - done.sum()  # every missing sample once
    assert not stored_x1 & set(rerun)  # no finished sample ran again

    reference = uqscale.run(load_study(study_file), tmp_path / "reference", client=client)
    xr.testing.assert_identical(resumed.results.load(), reference.results.load())
    assert np.array_equal(resumed.results["z"].values, reference.results["z"].values)
    assert resumed.indices == reference.indices
    assert json.loads((run_dir / "indices.json").read_text()) == json.loads(
        (tmp_path / "reference" / "indices.json").read_text()
    )
    assert run_status(run_dir)["state"] == "finished"
    sessions = json.loads((run_dir / "provenance.json").read_text())["sessions"]
    assert [s["samples"] for s in sessions] == [SAMPLES - done.sum()]


def test_changed_study_is_refused_with_what_changed(tmp_path, client):
    folder = tmp_path / "study"
    study_file = write_study(folder)
    uqscale.run(load_study(study_file), tmp_path / "run", client=client)
    changed = write_study(folder, seed=4)
    done = subprocess.run(
        [sys.executable, "-m", "uqscale.cli", "run", changed, "--out", tmp_path / "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: {tmp_path / 'run'} holds a run of a different study "
        f"(seed: 3 -> 4); use --force to start afresh in a new folder\n"
    )
    forced = uqscale.run(load_study(changed), tmp_path / "run", client=client, force=True)
    assert forced.directory == tmp_path / "run-2"


def test_run_on_a_finished_folder_runs_nothing(tmp_path, client):
    study = load_study(write_study(tmp_path / "study"))
    first = uqscale.run(study, tmp_path / "run", client=client)
    calls = len(logged_calls(tmp_path / "study"))
    again = uqscale.run(study, tmp_path / "run", client=client)
    assert again.ran == 0 and len(logged_calls(tmp_path / "study")) == calls
    assert again.indices == first.indices


def test_a_second_launcher_is_refused_by_the_lock(tmp_path, client):
    study = load_study(write_study(tmp_path / "study"))
    uqscale.run(study, tmp_path / "run", client=client)
    with (
        RunStore.open(tmp_path / "run").lock(),
        pytest.raises(UqscaleError, match=r"run: in use by uqscale pid \d+ on "),
    ):
        resume(tmp_path / "run", client=client)


def test_analyze_recomputes_without_running_models(tmp_path, client):
    folder = tmp_path / "study"
    study = load_study(write_study(folder))
    uqscale.run(study, tmp_path / "run", client=client)
    calls = len(logged_calls(folder))
    richer = study.replace(
        analysis=[*study.analysis, uqscale.Analysis("pce", {"order": 3}, label="pce3")]
    )
    result = analyze(tmp_path / "run", richer)
    assert len(logged_calls(folder)) == calls
    # y = x1 + x2^2 is a degree-2 polynomial: both expansions are exact.
    for label in ("pce", "pce3"):
        assert result.analyses[label]["y"]["loo_error"].item() < 1e-20
    assert "pce3" in json.loads((tmp_path / "run" / "indices.json").read_text())["outputs"]["y"]
    with pytest.raises(UqscaleError, match="needs a design this run does not hold"):
        analyze(tmp_path / "run", study.replace(analysis=[uqscale.Analysis("sobol", {"n": 64})]))


def test_a_disk_that_refuses_writes_gives_one_clear_line(tmp_path):
    # RLIMIT_FSIZE makes every write past 64 kB fail (EFBIG), as a full disk would.
    study_file = write_study(tmp_path / "study")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    text = study_file.read_text().replace(f"n: {SAMPLES}", "n: 4000").replace("0.03", "0")
    study_file.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "uqscale.cli", "run", study_file, "--out", tmp_path / "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        preexec_fn=limit,
        timeout=300,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "File too large" in lines[0], done.stderr
    assert not (tmp_path / "run").exists()  # the folder is created whole or not at all
