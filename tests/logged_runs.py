"""A slow model that logs every call, its study, a launcher run with a fault injected
mid-run, and the check that a run which lost a worker (a killed process, a cancelled
batch job, a node gone) still stored every sample once."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

LOGGED_MODEL = '''
import os, socket, time


def logged(x1, x2, log_dir, delay):
    """y = x1 + x2 * x2 (two correctly rounded operations: bit for bit what numpy gives;
    x2 ** 2 may differ by an ulp) after a pause. Each call is logged as "x1 time
    hostname" in a file named after the Slurm job (or "local") and the worker's pid."""
    name = f"{os.environ.get('SLURM_JOB_ID', 'local')}-{os.getpid()}.log"
    with open(os.path.join(log_dir, name), "a") as log:
        log.write(f"{x1!r} {time.time()!r} {socket.gethostname()}\\n")
    time.sleep(delay)
    return {"y": x1 + x2 * x2}
'''


def logged_study(
    folder: Path, name: str, seed: int, samples: int, delay: float, execution: str = ""
) -> Path:
    """Write the logged model and a moments study of ``samples`` calls into
    ``folder`` (calls are logged in ``folder/calls``); ``execution`` is YAML for the
    study's ``execution:`` mapping. Returns the study file."""
    (folder / "calls").mkdir(parents=True, exist_ok=True)
    (folder / "loggedmodel_uq.py").write_text(LOGGED_MODEL)
    study = textwrap.dedent(f"""
        study: {name}
        seed: {seed}
        inputs:
          x1: {{distribution: uniform, low: 0, high: 1}}
          x2: {{distribution: normal, mean: 0, std: 1}}
        models:
          - name: slow
            python: "loggedmodel_uq:logged"
            inputs: [x1, x2]
            parameters: {{log_dir: "{folder / "calls"}", delay: {delay}}}
            outputs: [y]
        analysis:
          - {{method: moments, n: {samples}, rule: random}}
    """)
    if execution:
        study += "execution:\n" + textwrap.indent(textwrap.dedent(execution).strip(), "  ")
    (folder / "study.yaml").write_text(study + "\n")
    return folder / "study.yaml"


def log_times(log: Path) -> list[float]:
    """When each call logged in ``log`` began."""
    return [float(line.split()[1]) for line in log.read_text().splitlines()]


def log_calls(calls: Path) -> list[tuple[float, str]]:
    """(start time, hostname) of every call logged in the folder ``calls``."""
    return [
        (float(fields[1]), fields[2])
        for log in calls.glob("*.log")
        for fields in map(str.split, log.read_text().splitlines())
    ]


def stored_parts(run_dir: Path) -> int:
    """How many part files the run has stored."""
    return len(list((run_dir / "parts").glob("*.nc")))


def run_with_fault(
    command: Sequence[str],
    run_dir: Path,
    ready: Callable[[], bool],
    fault: Callable[[], None],
    timeout: float,
    **popen,
) -> float:
    """Run the launcher ``command``; as soon as ``ready()`` holds and a batch is stored,
    inject ``fault()``. The launcher must then succeed, having stored more batches
    after the fault (it struck mid-run). Returns when the fault struck (``time.time()``).
    """
    launcher = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )
    try:
        deadline = time.monotonic() + timeout
        while not (ready() and stored_parts(run_dir)):
            assert launcher.poll() is None, launcher.communicate()
            assert time.monotonic() < deadline, "the run never got going"
            time.sleep(0.02)
        fault()
        struck = time.time()
        stored_then = stored_parts(run_dir)
        _, err = launcher.communicate(timeout=timeout)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 0, err
    assert stored_then < stored_parts(run_dir), "the fault struck after the last batch"
    return struck


def assert_every_sample_stored_once(run_dir: Path, samples: int) -> xr.Dataset:
    """Every sample stored exactly once, with the right value, none failed (a batch
    a lost worker held may have been evaluated twice; only one result is stored).
    Returns the design."""
    design = xr.load_dataset(run_dir / "design.nc")
    stored = np.concatenate(
        [xr.load_dataset(p)["sample"].values for p in sorted((run_dir / "parts").glob("*.nc"))]
    )
    assert np.array_equal(np.sort(stored), np.arange(samples))
    results = xr.load_dataset(run_dir / "results.nc")
    np.testing.assert_array_equal(
        results["y"].values, design["x1"].values + design["x2"].values * design["x2"].values
    )
    assert json.loads((run_dir / "failures.json").read_text()) == []
    return design
