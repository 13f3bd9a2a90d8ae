"""Verification cases (``verification:``), ``uqscale verify`` and ``--set`` overrides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from uqscale import StudyError
from uqscale.study.files import load_study, study_from_text, study_to_yaml
from uqscale.study.overrides import apply_overrides, load_overridden, parse_assignment
from uqscale.study.verification import VerificationCase
from uqscale.verify import format_results, verify_into, verify_study

# m = x1 + 2 x2 (tests/models/chain.py); y = x1 + t x2 at t = 0, 0.5, ..., 2 and
# total = x1 + x2 (tests/models/fields.py).
ROOT = Path(__file__).resolve().parents[1]
STUDY = textwrap.dedent("""
    study: checked
    seed: 3
    inputs:
      x1: {distribution: uniform, low: 0, high: 1, scale: micro}
      x2: {distribution: normal, mean: 2, std: 1, scale: macro}
    models:
      - name: micro
        python: "tests.models.chain:micro"
        inputs: [x1, x2]
        outputs: [m]
        vectorized: true
      - name: ramp
        python: "tests.models.fields:ramp"
        inputs: [x1, x2]
        outputs: [{name: y, dims: [t], coords: {t: [0, 0.5, 1, 1.5, 2]}}, total]
        vectorized: true
    verification:
      - name: intermediate
        # m = x1 + 2 x2 with x2 at its median 2
        inputs: {x1: 0.25}
        output: m
        expected: 4.25
        tolerance: 1.0e-12
      - name: field_point
        # y(t) = x1 + t x2 at the point nearest t = 1.1 (t = 1): 0.25 + 2
        inputs: {x1: 0.25}
        output: y
        at: {t: 1.1}
        expected: 2.25
        rtol: 1e-12
      - name: parameters
        # t overridden to (3, 4, 5, 6, 7); the point is found by the declared coords:
        # t = 0.4 is nearest the second (0.5), where y = 0.5 + 4 * 1.5
        inputs: {x1: 0.5, x2: 1.5}
        parameters: {ramp: {t: [3, 4, 5, 6, 7]}}
        output: y
        at: {t: 0.4}
        expected: 6.5
        tolerance: 1.0e-12
""")


def study_text(*replacements: tuple[str, str]) -> str:
    text = STUDY
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def uqscale(*args, cwd=None):
    # The test models import as tests.models...: from the repository's root.
    return subprocess.run(
        [sys.executable, "-m", "uqscale.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_cases_round_trip_through_yaml():
    study = study_from_text(STUDY, None)
    assert [c.name for c in study.verification] == ["intermediate", "field_point", "parameters"]
    assert study.verification[1].rtol == 1e-12  # "1e-12" read as YAML 1.1 text
    assert study.verification[2].parameters == {"ramp": {"t": [3, 4, 5, 6, 7]}}
    again = study_from_text(study_to_yaml(study), None)
    assert again == study and again.to_dict() == study.to_dict()
    assert study.to_dict()["verification"][0] == {
        "name": "intermediate",
        "inputs": {"x1": 0.25},
        "output": "m",
        "expected": 4.25,
        "tolerance": 1e-12,
    }


def test_a_study_built_in_python_is_checked_too():
    study = study_from_text(STUDY, None)
    bad = VerificationCase("c", "nowhere", 1.0, tolerance=0.1)
    with pytest.raises(
        StudyError,
        match=r"^verification\[0\]\.output: unknown output "
        r"'nowhere' \(outputs: m, y, total\)$",
    ):
        study.replace(verification=[bad])


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "output: m\n",
            "output: x\n",
            "verification[0].output: unknown output 'x' (outputs: m, y, total)",
        ),
        (
            "inputs: {x1: 0.25}\n    output: m",
            "inputs: {x3: 0.25}\n    output: m",
            "verification[0].inputs.x3: unknown input 'x3' (inputs: x1, x2)",
        ),
        (
            "    tolerance: 1.0e-12\n  - name: field",
            "    tolerance: 1.0e-12\n    rtol: 0.1\n  - name: field",
            "verification[0].rtol: give tolerance (absolute) or rtol (relative), not both",
        ),
        (
            "    rtol: 1e-12\n",
            "",
            "verification[1].tolerance: is required (absolute; or rtol: relative)",
        ),
        (
            "    rtol: 1e-12\n",
            "    rtol: -1\n",
            "verification[1].rtol: must not be negative (got -1)",
        ),
        (
            "    at: {t: 1.1}\n",
            "",
            "verification[1].at: output 'y' is a field over ['t']; give at: {t: ...}",
        ),
        (
            "    at: {t: 1.1}\n",
            "    at: {s: 1.1}\n",
            "verification[1].at.s: is not one of output 'y' dims ['t']",
        ),
        (
            "    output: m\n",
            "    output: m\n    at: {t: 1}\n",
            "verification[0].at: output 'm' is a scalar; remove at",
        ),
        (
            "{ramp: {t:",
            "{rmap: {t:",
            "verification[2].parameters.rmap: unknown step 'rmap' (did you mean 'ramp'?)",
        ),
        (
            "{ramp: {t: [3, 4, 5, 6, 7]}}",
            "{ramp: {x2: 1}}",
            "verification[2].parameters.ramp.x2: is one of the step's inputs; fix it under "
            "inputs instead",
        ),
        (
            "- name: field_point",
            "- name: intermediate",
            "verification[1].name: 'intermediate' appears twice; names must be unique",
        ),
        (
            "expected: 4.25",
            "expected: four",
            "verification[0].expected: must be a number (got string)",
        ),
        (
            "expected: 4.25",
            "expect: 4.25",
            "verification[0].expect: unknown key (did you mean 'expected'?)",
        ),
    ],
)
def test_mistakes_name_the_field(old, new, message):
    with pytest.raises(StudyError) as error:
        study_from_text(study_text((old, new)), None)
    assert str(error.value) == message


def test_field_cases_need_coordinates():
    text = study_text(("coords: {t: [0, 0.5, 1, 1.5, 2]}", "coords: {}"))
    with pytest.raises(
        StudyError,
        match=r"^verification\[1\]\.at\.t: output 'y' declares "
        r"no coords for 't' to find the point by$",
    ):
        study_from_text(text, None)


def test_verify_study_runs_every_case():
    results = verify_study(study_from_text(STUDY, None))
    assert [(r.name, r.passed) for r in results] == [
        ("intermediate", True),
        ("field_point", True),
        ("parameters", True),
    ]
    point = results[1]
    assert point.at == {"t": 1.0} and point.got == pytest.approx(2.25)
    assert point.tolerance == pytest.approx(2.25e-12)
    assert results[2].at == {"t": 0.5}
    table = format_results(results)
    assert table.splitlines()[0].split() == [
        "case",
        "output",
        "expected",
        "got",
        "error",
        "tolerance",
        "result",
    ]
    assert "y@t=1" in table and table.endswith("3 of 3 verification cases passed")


def test_a_wrong_answer_and_a_failing_sample_fail():
    data = yaml.safe_load(STUDY)
    data["models"][1] = {
        "name": "flaky",
        "python": "tests.models.flaky:per_sample",
        "inputs": ["x1", "x2"],
        "outputs": ["y"],
    }
    data["verification"] = [
        {**data["verification"][0], "expected": 4.5},
        {
            "name": "crashes",
            "inputs": {"x1": 0.9, "x2": 0.5},
            "output": "y",
            "expected": 0.45,
            "tolerance": 1e-12,
        },
        {
            "name": "works",
            "inputs": {"x1": 0.5, "x2": 0.5},
            "output": "y",
            "expected": 0.25,
            "tolerance": 1e-12,
        },
    ]
    results = {r.name: r for r in verify_study(study_from_text(yaml.safe_dump(data), None))}
    assert not results["intermediate"].passed
    assert results["intermediate"].error == pytest.approx(0.25)
    crashed = results["crashes"]
    assert not crashed.passed and crashed.got != crashed.got  # NaN
    assert crashed.message.startswith("flaky: RuntimeError: solver diverged at x1=0.900")
    assert crashed.to_dict()["got"] is None
    assert results["works"].passed


def test_only_named_cases_run_and_unknown_names_are_refused():
    study = study_from_text(STUDY, None)
    assert [r.name for r in verify_study(study, ["parameters"])] == ["parameters"]
    with pytest.raises(StudyError, match=r"^verification: no case named 'nope'"):
        verify_study(study, ["nope"])


def test_verify_into_writes_the_run_folder_file(tmp_path):
    study = study_from_text(STUDY, None)
    results = verify_into(study, tmp_path)
    written = json.loads((tmp_path / "verification.json").read_text())
    assert [r["name"] for r in written] == [r.name for r in results]
    assert set(written[0]) == {
        "name",
        "output",
        "expected",
        "got",
        "error",
        "tolerance",
        "rtol",
        "passed",
    }
    assert written[1]["at"] == {"t": 1.0}
    bare = study.replace(verification=())
    assert verify_into(bare, tmp_path / "none") == []
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
def test_cli_verify_exit_codes_and_json(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(STUDY)
    done = uqscale("verify", good, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 of 3 verification cases passed" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.yaml"]  # wrote nothing
    done = uqscale(
        "verify",
        good,
        "--set",
        "verification.0.expected=5",
        "--json",
        tmp_path / "out.json",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "2 of 3 verification cases passed" in done.stdout
    assert [c["passed"] for c in json.loads((tmp_path / "out.json").read_text())] == [
        False,
        True,
        True,
    ]
    done = uqscale("verify", good, "--set", "verification.1.output=nope", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: verification[1].output: unknown output 'nope'")


def test_parse_assignment_reads_yaml_scalars():
    assert parse_assignment("analysis.0.order=2") == (["analysis", 0, "order"], 2)
    assert parse_assignment("inputs.eps.high=1e-3") == (["inputs", "eps", "high"], 0.001)
    assert parse_assignment("execution.nonfinite=keep")[1] == "keep"
    assert parse_assignment("analysis.1.second_order=true")[1] is True
    assert parse_assignment("models.0.parameters.t=[1, 2]")[1] == [1, 2]
    assert parse_assignment("output.directory=")[1] is None
    with pytest.raises(StudyError, match=r"^--set: must be KEY=VALUE"):
        parse_assignment("analysis.0.order")


def test_apply_overrides_creates_mappings_but_not_list_entries():
    data = {"inputs": {"x": {"low": 0}}, "models": [{"parameters": {}}]}
    changed = apply_overrides(
        data, ["inputs.x.low=1", "models.0.parameters.nx=50", "execution.workers=1"]
    )
    assert changed == {
        "inputs": {"x": {"low": 1}},
        "models": [{"parameters": {"nx": 50}}],
        "execution": {"workers": 1},
    }
    assert data["inputs"]["x"]["low"] == 0  # the original is untouched
    with pytest.raises(StudyError, match=r"^models\[3\]: no such entry"):
        apply_overrides(data, ["models.3.name=a"])
    with pytest.raises(StudyError, match=r"^inputs\.x\.low: is not a mapping or list"):
        apply_overrides(data, ["inputs.x.low.deep=1"])


@pytest.mark.slow
def test_overrides_apply_before_validation(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(STUDY)
    study, given = load_overridden(
        path, ["inputs.x1.high=2", "models.1.parameters.t=[0, 1, 2, 3, 4]"]
    )
    assert study.inputs[0].params == {"low": 0.0, "high": 2.0}
    assert study.models[1].parameters == {"t": [0, 1, 2, 3, 4]}
    assert given.startswith(f"# {path} with\n# --set inputs.x1.high=2\n")
    assert load_study(path).inputs[0].params["high"] == 1.0
    assert load_overridden(path)[1] == STUDY
    with pytest.raises(StudyError, match=r"^inputs\.x1\.high: must be greater than low"):
        load_overridden(path, ["inputs.x1.high=-1"])
    done = uqscale("validate", path, "--set", "execution.workers=0", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "error: execution.workers: must be at least 1 (got 0)\n",
    )
