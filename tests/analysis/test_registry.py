"""The method registry: every method declared in one object, studies built without
heavy imports and without touching the caller's objects, and a new method added by one
module and one registry line (the worked example of CONTRIBUTING.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.analysis import range_method
from tests.conftest import analyse_in_process, uniform_study
from uqscale.analysis.registry import METHODS
from uqscale.design import build_design
from uqscale.errors import StudyError
from uqscale.report.indices import indices_document
from uqscale.study import Analysis, Study


def test_building_a_study_imports_no_numerics():
    code = (
        "import sys; from uqscale.study.files import load_study; "
        "load_study('studies/ishigami.yaml'); "
        "print(sorted({'xarray', 'scipy', 'SALib', 'chaospy'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_options_are_frozen_typed_and_filled_with_defaults():
    study = uniform_study(
        "s", "uqscale.testfunctions:linear", 2, [{"method": "sobol", "n": 64}, {"method": "morris"}]
    )
    sobol, morris = (a.options for a in study.analysis)
    assert (sobol.n, sobol.second_order, sobol.resamples, sobol.conf_level) == (
        64,
        False,
        100,
        0.95,
    )
    assert dict(morris) == {
        "trajectories": 10,
        "levels": 4,
        "resamples": 100,
        "conf_level": 0.95,
        "failures": "fail",
    }
    with pytest.raises(AttributeError):
        sobol.n = 128


def test_building_a_study_leaves_the_callers_analysis_alone():
    mine = Analysis("sobol", {"n": 64})
    study = uniform_study("s", "uqscale.testfunctions:linear", 2, [{"method": "moments"}])
    built = study.replace(analysis=(mine,))
    assert dict(mine.options) == {"n": 64}
    assert built.analysis[0].options["resamples"] == 100


def test_no_module_but_a_method_s_own_tests_its_name():
    names = "|".join(METHODS)
    done = subprocess.run(
        ["git", "grep", "-nE", rf"(==|!=| in) *[(\[]?[\"']({names})[\"']", "--", "uqscale"],
        capture_output=True,
        text=True,
    )
    assert done.stdout == ""


def register_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the registry line of CONTRIBUTING.md does, for this test only."""
    monkeypatch.setitem(METHODS, "range", range_method.METHOD)


def range_study() -> Study:
    return uniform_study(
        "toy",
        "uqscale.testfunctions:linear",
        2,
        [{"method": "range", "n": 64}, {"method": "moments"}],
        parameters={"coefficients": [1.0, -2.0]},
    )


def test_a_new_method_is_checked_where_the_study_is_built(monkeypatch):
    register_range(monkeypatch)
    assert range_study().analysis[0].options == range_method.RangeOptions(n=64)
    with pytest.raises(StudyError, match=r"analysis\[0\].rule: unknown value 'grid'"):
        uniform_study(
            "toy", "uqscale.testfunctions:linear", 2, [{"method": "range", "rule": "grid"}]
        )


def test_a_new_method_runs_end_to_end(monkeypatch, tmp_path):
    register_range(monkeypatch)
    study = range_study()
    tree, errors = analyse_in_process(study, tmp_path)
    assert not errors and tree["range"].attrs["method"] == "range"
    # y = x1 - 2 x2 on the unit square, at the 64 points of the method's own block
    start, stop = tree["range"].attrs["block"]
    design = build_design(study).isel(sample=slice(start, stop))
    y = design["x1"].values - 2 * design["x2"].values
    low, high = float(tree["range"]["y"]["low"]), float(tree["range"]["y"]["high"])
    assert (stop - start, low, high) == (64, y.min(), y.max())
    assert -2.0 < low < -1.5 and 0.5 < high < 1.0
    entry = indices_document("toy", 64, 0, tree)["outputs"]["y"]["range"]
    assert entry == {"low": low, "high": high, "n_used": 64, "n_failed": 0}
    # moments reuse the range's draws: its minimum is that of the same samples
    assert tree["moments"].attrs["block"] == tree["range"].attrs["block"]


def test_a_new_method_shows_in_the_report(monkeypatch, tmp_path):
    from tests.report.runs import make_run
    from uqscale.report.blocks import number
    from uqscale.report.markdown import markdown_report

    register_range(monkeypatch)
    folder = make_run(range_study(), tmp_path / "run")
    entry = json.loads((folder / "indices.json").read_text())["outputs"]["y"]["range"]
    text = markdown_report(folder)
    ranges = text.split("\n## Ranges\n")[1].split("\n## ")[0]
    assert f"| y | {number(entry['low'])} | {number(entry['high'])} |" in ranges
    assert text.index("## Moments and quantiles") < text.index("## Ranges") < text.index("## Run")
