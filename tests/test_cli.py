"""The command line, end to end in subprocesses, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

STUDIES = Path(__file__).resolve().parents[1] / "studies"


def uqscale(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "uqscale.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


HEAVY = {"SALib", "chaospy", "dask", "distributed", "matplotlib", "pandas", "scipy", "xarray"}
"""Libraries whose import takes seconds: analysis, execution, storage and plots."""

LIST_MODULES_AT_EXIT = (
    "import atexit, runpy, sys; "
    "atexit.register(lambda: print(*sorted(sys.modules), sep='\\n', file=sys.stderr)); "
    "sys.argv[0] = 'uqscale'; runpy.run_module('uqscale.cli', run_name='__main__')"
)
"""``python -m uqscale.cli ARGS`` that lists, on stderr as it exits, every module imported."""


def test_validate_is_fast_and_says_valid():
    """Fast is what the command imports, not a wall time on a loaded machine: ``validate``
    loads the study and imports its models, and none of the libraries of a run (the study's
    model may import numpy: that is the model's cost)."""
    command = [sys.executable, "-c", LIST_MODULES_AT_EXIT, "validate", STUDIES / "ishigami.yaml"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stdout
    imported = set(done.stderr.split())
    assert {"uqscale.study.model", "uqscale.testfunctions"} <= imported  # the study, its model
    assert sorted({name.split(".")[0] for name in imported} & HEAVY) == []


def test_a_bad_study_gives_one_line_exit_2_and_writes_nothing(tmp_path):
    text = (
        (STUDIES / "ishigami.yaml")
        .read_text()
        .replace(
            "x1: {distribution: uniform, low: -3.141592653589793, high: 3.141592653589793}",
            "x1: {distribution: uniform, low: 2, high: 1}",
        )
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    for command in ("validate", "run"):
        done = uqscale(command, bad, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr == (
            "error: inputs.x1.high: must be greater than low (got low=2, high=1)\n"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_a_study_without_analyses_validates_but_runs_nothing_in_one_line(tmp_path):
    """Valid (its verification cases or a served model need no analysis), but nothing says
    which samples to run: ``run`` refuses in one line, exit 2, and writes no folder."""
    text = (STUDIES / "ishigami.yaml").read_text()
    study = tmp_path / "none.yaml"
    study.write_text(text[: text.index("\nanalysis:")] + "\n")
    assert uqscale("validate", study, cwd=tmp_path).returncode == 0
    done = uqscale("run", study, "--out", tmp_path / "run", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: analysis: study 'ishigami' names no analysis")
    assert done.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["none.yaml"]


def test_run_end_to_end_writes_the_run_folder(tmp_path):
    study = tmp_path / "small.yaml"
    study.write_text(
        (STUDIES / "ishigami.yaml")
        .read_text()
        .replace("n: 16384", "n: 256")
        .replace("n: 500", "n: 200")
    )
    done = uqscale("run", study, "--out", tmp_path / "run", "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "y [sobol]" in done.stdout and "y [pce]" in done.stdout
    indices = json.loads((tmp_path / "run" / "indices.json").read_text())
    assert indices["study"] == "ishigami"
    st = indices["outputs"]["y"]["pce"]["ST"]
    assert abs(st["x3"] - 0.243684) < 0.02


def test_version_and_bare_command():
    from uqscale import __version__

    done = uqscale("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"uqscale {__version__}\n", "")
    bare = uqscale()
    assert bare.returncode == 0 and bare.stdout.startswith("usage: uqscale")
    assert "exit codes: 0 done" in bare.stdout
