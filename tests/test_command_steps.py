"""External programs as model steps (``command:``): a C heat solver in a coupled study,
templates, output formats, work directories, timeouts, and the field-path errors."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import uqscale
from uqscale.errors import StudyError
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.study import ModelStep, OutputSpec, Study, UncertainInput
from uqscale.study.files import load_study, study_from_text, study_to_yaml
from uqscale.study.model import ResultsFile

HEAT_SOURCE = Path(__file__).parent / "models" / "heat.c"
NX, CFL, LENGTH = 41, 0.4, 1.0
CRASH_ABOVE, HANG_BELOW, TIMEOUT = 0.36, 0.055, 2.0
HEAT_TEMPLATE = """\
# heat parameters, rendered by uqscale for one sample
D $D
length $length
t_end ${t_end}
nx $nx
cfl $cfl
crash_above $crash_above
hang_below $hang_below
"""
X = np.linspace(0.0, LENGTH, NX)
HEAT_STUDY = f"""\
study: porous-heat
seed: 3
inputs:
  phi: {{distribution: uniform, low: 0.1, high: 0.5, scale: micro}}
  tau: {{distribution: uniform, low: 1.0, high: 3.0, scale: micro}}
  t_end: {{distribution: uniform, low: 0.05, high: 0.2, scale: macro}}
models:
  - name: micro
    python: "tests.models.porous:effective_diffusivity"
    inputs: [phi, tau]
    parameters: {{D0: 1.0}}
    outputs: [D]
    vectorized: true
  - name: macro
    command: [./heat, params.txt]
    files: {{params.txt: heat.in}}
    inputs: [D, t_end]
    parameters: {{length: {LENGTH}, nx: {NX}, cfl: {CFL}, crash_above: {CRASH_ABOVE},
                 hang_below: {HANG_BELOW}}}
    results: {{file: out.json, format: json}}
    outputs: [u_mid, steps, dt, {{name: u, dims: [x], coords: {{x: {X.tolist()}}}}}]
    timeout: {TIMEOUT}
analysis:
  - {{method: moments, n: 32}}
"""


@pytest.fixture(scope="module")
def heat_binary(tmp_path_factory) -> Path:
    """tests/models/heat.c compiled with the machine's ``cc``."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on this machine")
    binary = tmp_path_factory.mktemp("bin") / "heat"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(HEAT_SOURCE), "-lm"], check=True)
    return binary


@pytest.fixture
def study_dir(tmp_path, heat_binary) -> Path:
    """A study folder holding the heat program, its template and the study file."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy2(heat_binary, folder / "heat")
    (folder / "heat.in").write_text(HEAT_TEMPLATE)
    (folder / "study.yaml").write_text(HEAT_STUDY)
    return folder


def heat_study_in_python(folder: Path) -> Study:
    """The study of ``HEAT_STUDY``, built with the Python API."""
    inputs = [
        UncertainInput("phi", "uniform", {"low": 0.1, "high": 0.5}, scale="micro"),
        UncertainInput("tau", "uniform", {"low": 1.0, "high": 3.0}, scale="micro"),
        UncertainInput("t_end", "uniform", {"low": 0.05, "high": 0.2}, scale="macro"),
    ]
    micro = ModelStep(
        "micro",
        "tests.models.porous:effective_diffusivity",
        ["phi", "tau"],
        ["D"],
        parameters={"D0": 1.0},
        vectorized=True,
    )
    macro = ModelStep(
        "macro",
        command=("./heat", "params.txt"),
        inputs=["D", "t_end"],
        outputs=["u_mid", "steps", "dt", OutputSpec("u", ("x",), {"x": X.tolist()})],
        parameters={
            "length": LENGTH,
            "nx": NX,
            "cfl": CFL,
            "crash_above": CRASH_ABOVE,
            "hang_below": HANG_BELOW,
        },
        files={"params.txt": "heat.in"},
        results=ResultsFile("out.json"),
        timeout=TIMEOUT,
    )
    return Study(
        "porous-heat",
        inputs,
        [micro, macro],
        [uqscale.Analysis("moments", {"n": 32})],
        seed=3,
        base_dir=folder,
    )


def running_programs(program: Path) -> list[int]:
    """Process ids whose command line starts with ``program`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")[0]
            state = re.search(r"State:\s+(\S)", (entry / "status").read_text()).group(1)
        except (OSError, AttributeError):
            continue
        if command == str(program).encode() and state != "Z":
            found.append(int(entry.name))
    return found


def work_directory(failure) -> Path:
    """The work directory a failure's details name."""
    return Path(re.search(r"work directory: (\S+)", failure.traceback).group(1))


def test_c_heat_solver_is_the_macro_step_of_a_coupled_study(study_dir, tmp_path, client):
    study = load_study(study_dir / "study.yaml")
    assert study == heat_study_in_python(study_dir)
    result = uqscale.run(study, tmp_path / "run", client=client)
    design, results = result.design, result.results
    d = results["D"].values
    np.testing.assert_allclose(d, design["phi"].values / design["tau"].values, rtol=1e-15)

    # Failed samples: exactly the crash and hang ranges, with exit code or timeout.
    crashed, hung = set(np.flatnonzero(d > CRASH_ABOVE)), set(np.flatnonzero(d < HANG_BELOW))
    assert crashed and hung
    by_sample = {f.sample: f for f in result.failures}
    assert set(by_sample) == crashed | hung
    for sample in crashed:
        failure = by_sample[sample]
        assert (failure.step, failure.error) == ("macro", "CommandFailed")
        assert failure.message == "'heat' failed with exit code -6 (killed by signal SIGABRT)"
        assert f"heat: D = {d[sample]:g} is above {CRASH_ABOVE:g}: giving up" in failure.traceback
    for sample in hung:
        failure = by_sample[sample]
        assert (failure.step, failure.error) == ("macro", "CommandTimeout")
        assert failure.message == (
            f"'heat' timed out after {TIMEOUT:g} s; its process group was killed"
        )
        assert "waiting forever" in failure.traceback
    assert running_programs(study_dir / "heat") == []
    assert result.indices["failed"] == len(crashed | hung)

    # Work directories: kept for the failed samples only, holding the rendered input.
    kept = {sample: work_directory(f) for sample, f in by_sample.items()}
    for sample, folder in kept.items():
        assert folder.name == f"{sample:06d}"
        assert f"D {float(d[sample])!r}\n" in (folder / "params.txt").read_text()
    assert {p.name for p in next(iter(kept.values())).parent.iterdir()} == {
        f"{s:06d}" for s in kept
    }

    # The other samples: the solver is right.
    ok = np.setdiff1d(np.arange(len(d)), sorted(by_sample))
    assert np.isnan(results["u_mid"].values[sorted(by_sample)]).all()
    d, t = d[ok], design["t_end"].values[ok]
    steps, dt = results["steps"].values[ok], results["dt"].values[ok]
    dx, k = LENGTH / (NX - 1), math.pi / LENGTH
    np.testing.assert_array_equal(steps, np.ceil(t * d / (CFL * dx**2)))
    np.testing.assert_allclose(dt, t / steps, rtol=1e-15)
    # The first Fourier mode is an eigenvector of the FTCS scheme: u = g^n sin(k x).
    r = d * dt / dx**2
    g = 1.0 - 4.0 * r * np.sin(k * dx / 2) ** 2
    profile = results["u"].values[ok]
    np.testing.assert_allclose(profile, (g**steps)[:, None] * np.sin(k * X), rtol=1e-11, atol=1e-15)
    np.testing.assert_array_equal(results["u"]["x"].values, X)
    # ... and decays like exp(-d k^2 t) up to the scheme's truncation error, whose
    # leading term in the logarithm is d k^2 t (k dx)^2 (1/12 - r/2) (from
    # 4 sin^2(a/2) = a^2 - a^4/12 + ... and log(1 - y) = -y - y^2/2 - ...).
    u_mid = results["u_mid"].values[ok]
    log_error = np.log(u_mid) + d * k**2 * t
    np.testing.assert_allclose(
        log_error, d * k**2 * t * (k * dx) ** 2 * (1 / 12 - r / 2), rtol=0.01
    )
    assert np.abs(log_error).max() < 1e-3
    mean = float(result.analyses["moments"]["u_mid"]["mean"])
    assert mean == pytest.approx(u_mid.mean(), rel=1e-12)


def test_command_steps_round_trip_through_yaml(study_dir):
    study = heat_study_in_python(study_dir)
    again = study_from_text(study_to_yaml(study), study_dir)
    assert again == study
    entry = again.to_dict()["models"][1]
    assert entry["command"] == ["./heat", "params.txt"] and "python" not in entry
    assert entry["results"] == {"file": "out.json", "format": "json"}
    assert "workdirs" not in entry  # the default is not written
    other = ModelStep(
        "post",
        command=("./heat", "${nx}"),
        inputs=["u_mid"],
        outputs=["z"],
        parameters={"nx": 3},
        parser="tests.test_command_steps:parse_answer",
        timeout=5,
        workdirs="remove",
    )
    study = study.replace(models=[*study.models, other])
    assert study_from_text(study_to_yaml(study), study_dir) == study


def in_process(study: Study, tmp_path: Path, n: int = 4, **values: float):
    """Evaluate ``study`` on ``n`` samples of constant inputs, without Dask."""
    pipeline = Pipeline.from_study(study, workdir_root=tmp_path / "work")
    inputs = {name: np.full(n, values.get(name, 0.5)) for name in study.input_names}
    return evaluate_batch(pipeline, 10, inputs), tmp_path / "work"


def program_study(folder: Path, command: list[str], execution: dict | None = None, **step) -> Study:
    """One uniform input ``x`` fed to one command step (``None`` drops a key)."""
    entry = {
        "name": "run",
        "command": command,
        "inputs": ["x"],
        "outputs": ["y"],
        "results": {"file": "out.json"},
        **step,
    }
    return Study.from_dict(
        {
            "study": "cmd",
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [{k: v for k, v in entry.items() if v is not None}],
            "execution": execution or {},
        },
        folder,
    )


PYTHON = [sys.executable, "-c"]


def test_templates_render_exact_values_and_csv_results_are_read(tmp_path):
    (tmp_path / "in.txt").write_text("x = ${x} $$\n")
    script = (
        "import sys; x = float(open('in.txt').read().split()[2]); "
        "open('out.csv', 'w').write(f'y,v\\n{x!r},1\\n,2\\n,3\\n')"
    )
    study = program_study(
        tmp_path,
        [*PYTHON, script],
        files={"in.txt": "in.txt"},
        results={"file": "out.csv"},
        outputs=["y", {"name": "v", "dims": ["k"]}],
    )
    x = 0.1 + 0.2  # 0.30000000000000004: needs all 17 digits
    batch, work = in_process(study, tmp_path, x=x)
    assert batch.failures == []
    assert (batch.outputs["y"] == x).all()  # bit for bit
    np.testing.assert_array_equal(batch.outputs["v"], [[1, 2, 3]] * 4)
    assert not work.exists()  # no failed sample: no work directory left


def parse_answer(workdir: Path) -> dict[str, float]:
    """A parser entry point: reads ``answer=VALUE`` from the program's stdout."""
    return {"y": float((workdir / "stdout.txt").read_text().split("=")[1])}


def test_a_parser_entry_point_reads_the_work_directory(tmp_path):
    study = program_study(
        tmp_path,
        [*PYTHON, "import sys; print('answer=' + sys.argv[1])", "$x"],
        results=None,
        parser="tests.test_command_steps:parse_answer",
    )
    batch, _ = in_process(study, tmp_path, x=0.25)
    assert batch.failures == [] and (batch.outputs["y"] == 0.25).all()


EXITS = """\
import json, sys
case = int(float(sys.argv[1]))
if case == 1:
    sys.stderr.write("".join(f"line {i}\\n" for i in range(30)))
    sys.exit(3)
if case in (0, 3):
    json.dump({"y": 1.0} if case == 0 else {"z": 1.0}, open("out.json", "w"))
if case == 4:
    open("out.json", "w").write("{'y': 1.0}")
"""


@pytest.mark.parametrize(
    ("workdirs", "kept"),
    [("keep_failed", {11, 12, 13, 14}), ("keep", {10, 11, 12, 13, 14}), ("remove", set())],
)
def test_exit_codes_missing_outputs_and_work_directories(tmp_path, workdirs, kept):
    (tmp_path / "exits.py").write_text(EXITS)
    study = program_study(
        tmp_path, [sys.executable, str(tmp_path / "exits.py"), "$x"], workdirs=workdirs
    )
    pipeline = Pipeline.from_study(study, workdir_root=tmp_path / "work")
    batch = evaluate_batch(pipeline, 10, {"x": np.arange(5.0)})
    failures = {f.sample: f for f in batch.failures}
    assert set(failures) == {11, 12, 13, 14}
    assert (failures[11].error, failures[11].message) == (
        "CommandFailed",
        f"'{Path(sys.executable).name}' failed with exit code 3",
    )
    assert failures[11].traceback.endswith("\n".join(f"line {i}" for i in range(10, 30)))
    assert (failures[12].error, failures[12].message) == (
        "MissingOutput",
        "the program wrote no out.json",
    )
    assert (failures[13].error, failures[13].message) == (
        "MissingOutput",
        "out.json gave no output 'y' (it gave: z)",
    )
    assert (failures[14].error, failures[14].message) == (
        "MalformedOutput",
        "out.json is not valid json: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1)",
    )
    assert batch.outputs["y"][0] == 1.0 and np.isnan(batch.outputs["y"][1:]).all()
    folder = tmp_path / "work" / "run"
    present = {p.name for p in folder.iterdir()} if folder.exists() else set()
    assert present == {f"{sample:06d}" for sample in kept}
    assert (tmp_path / "work").exists() == bool(kept)


def test_retries_run_a_failing_command_again(tmp_path):
    study = program_study(tmp_path, [*PYTHON, "import sys; sys.exit(1)"], execution={"retries": 2})
    batch, _ = in_process(study, tmp_path, n=1)
    assert [f.attempts for f in batch.failures] == [3]


def test_a_timeout_kills_the_whole_process_group(tmp_path):
    study = program_study(
        tmp_path, ["sh", "-c", "sleep 60 & echo $$! > child.pid; wait"], timeout=0.5
    )
    began = time.perf_counter()
    batch, work = in_process(study, tmp_path, n=1)
    assert time.perf_counter() - began < 30  # not the child's 60 s: the timeout ended it
    [failure] = batch.failures
    assert failure.error == "CommandTimeout"
    child = int((work / "run" / "000010" / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except FileNotFoundError:
            break
        if re.search(r"State:\s+Z", status):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the grandchild {child} outlived the timeout")


def test_a_program_gone_from_a_worker_is_a_study_error(study_dir, tmp_path):
    pipeline = Pipeline.from_study(load_study(study_dir / "study.yaml"), tmp_path / "work")
    os.remove(study_dir / "heat")
    with pytest.raises(
        StudyError,
        match=r"^models\[1\]\.command\[0\]: cannot run '.*heat' "
        r"\(No such file or directory\)$",
    ):
        evaluate_batch(
            pipeline, 0, {"phi": np.array([0.3]), "tau": np.array([2.0]), "t_end": np.array([0.1])}
        )


STEP = {
    "name": "run",
    "command": ["./heat", "params.txt"],
    "inputs": ["x"],
    "outputs": ["y"],
    "results": {"file": "out.json"},
}
REFUSED = {
    "python and command": (
        {"python": "m:f"},
        "models[0].command: a step runs either python or command, not both; remove one",
    ),
    "command as one string": (
        {"command": "./heat params.txt"},
        "models[0].command: must be a list [program, arg, ...] (got "
        "string); no shell runs it, so give each argument as its own "
        "item",
    ),
    "empty command": (
        {"command": []},
        "models[0].command: must not be empty; give [program, arg, ...]",
    ),
    "number as argument": (
        {"command": ["./heat", 3]},
        "models[0].command[1]: must be a non-empty string (got integer)",
    ),
    "vectorized command": (
        {"vectorized": True},
        "models[0].vectorized: command steps run once per sample; remove vectorized",
    ),
    "no results nor parser": (
        {"results": None},
        "models[0].results: a command step needs results: {file: ..., "
        "format: json|csv} or parser: 'module:function'",
    ),
    "results and parser": ({"parser": "m:f"}, "models[0].parser: give results or parser, not both"),
    "parser not an entry point": (
        {"results": None, "parser": "parse"},
        "models[0].parser: must be 'module:function' (got 'parse')",
    ),
    "results outside the work directory": (
        {"results": {"file": "../out.json"}},
        "models[0].results.file: must be a relative path inside the work directory (got "
        "'../out.json')",
    ),
    "unknown results suffix": (
        {"results": {"file": "out.dat"}},
        "models[0].results.format: is required: 'out.dat' ends in "
        "neither .json nor .csv (one of json, csv)",
    ),
    "unknown results format": (
        {"results": {"file": "out.dat", "format": "xml"}},
        "models[0].results.format: unknown value 'xml' (one of json, csv)",
    ),
    "unknown results key": (
        {"results": {"file": "out.json", "fromat": "json"}},
        "models[0].results.fromat: unknown key (did you mean 'format'?)",
    ),
    "file target outside": (
        {"files": {"/etc/params": "heat.in"}},
        "models[0].files: must be a relative path inside the work directory (got '/etc/params')",
    ),
    "template path not a string": (
        {"files": {"params.txt": 3}},
        "models[0].files.params.txt: must be a non-empty string (got integer)",
    ),
    "zero timeout": ({"timeout": 0}, "models[0].timeout: must be positive (got 0)"),
    "timeout as text": ({"timeout": "1h"}, "models[0].timeout: must be a number (got string)"),
    "unknown workdirs policy": (
        {"workdirs": "keep_all"},
        "models[0].workdirs: unknown value 'keep_all' (did you mean 'keep_failed'?)",
    ),
    "unknown variable in an argument": (
        {"command": ["./heat", "--n=$n"]},
        "models[0].command[1]: unknown variable '$n' (known: x)",
    ),
    "lone dollar in an argument": (
        {"command": ["./heat", "cost: $5"]},
        "models[0].command[1]: line 1: '$' starts no variable name "
        "(write $name or ${name}, and $$ for a dollar sign)",
    ),
}


@pytest.mark.parametrize(("change", "message"), list(REFUSED.values()), ids=list(REFUSED))
def test_mistakes_in_command_steps_name_the_field(change, message):
    step = {**STEP, **change}
    step = {k: v for k, v in step.items() if v is not None}
    data = {
        "study": "s",
        "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
        "models": [step],
    }
    with pytest.raises(StudyError) as caught:
        Study.from_dict(data)
    assert str(caught.value) == message


def test_command_only_keys_are_refused_on_python_steps():
    with pytest.raises(StudyError) as caught:
        Study(
            "s",
            [UncertainInput("x", "uniform", {"low": 0.0, "high": 1.0})],
            [ModelStep("m", "m:f", ["x"], ["y"], parser="m:parse")],
        )
    assert str(caught.value) == (
        "models[0].parser: applies to command steps only (this step runs python)"
    )


def test_programs_and_templates_are_checked_before_anything_runs(study_dir):
    study = load_study(study_dir / "study.yaml")
    (study_dir / "heat.in").write_text(HEAT_TEMPLATE + "steps $max_steps\n")
    with pytest.raises(StudyError) as caught:
        Pipeline.from_study(study)
    assert str(caught.value) == (
        "models[1].files.params.txt: unknown variable '$max_steps' (known: D, t_end, length, "
        "nx, cfl, crash_above, hang_below)"
    )
    os.remove(study_dir / "heat.in")
    with pytest.raises(
        StudyError,
        match=r"^models\[1\]\.files\.params\.txt: cannot read "
        r"template 'heat.in' in .* \(No such file or "
        r"directory\)$",
    ):
        Pipeline.from_study(study)
    os.remove(study_dir / "heat")
    with pytest.raises(StudyError) as caught:
        Pipeline.from_study(study)
    assert str(caught.value) == (
        f"models[1].command[0]: program './heat' not found (looked in {study_dir})"
    )
    (study_dir / "heat").write_text("not a program")
    with pytest.raises(
        StudyError,
        match=r"^models\[1\]\.command\[0\]: '.*heat' is not "
        r"executable \(chmod \+x it\)$",
    ):
        Pipeline.from_study(study)
