"""The study loader's error messages, pinned by their exact text.

Every test starts from one valid study (``base_study``) and breaks one field, so the
message must name that field's path and say what is wrong with it.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from uqscale.errors import StudyError
from uqscale.models.loading import load_callable
from uqscale.study.files import load_study, study_from_text

DELETE = object()
"""Value meaning "remove this key" in :func:`broken`."""


def base_study() -> dict[str, Any]:
    """A small valid study: two chained steps (micro feeds macro), one analysis."""
    return {
        "study": "errors",
        "seed": 1,
        "inputs": {
            "x1": {"distribution": "uniform", "low": 0.0, "high": 1.0},
            "x2": {"distribution": "normal", "mean": 0.0, "std": 1.0},
        },
        "models": [
            {
                "name": "micro",
                "python": "uqscale.testfunctions:linear",
                "inputs": ["x1"],
                "outputs": ["m"],
            },
            {
                "name": "macro",
                "python": "uqscale.testfunctions:linear",
                "inputs": ["m", "x2"],
                "outputs": ["y"],
            },
        ],
        "analysis": [{"method": "pce", "order": 2}],
        "execution": {"cluster": "local", "workers": 1},
    }


def broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """``base_study()`` with the field at ``path`` set to ``value`` (or removed)."""
    data = base_study()
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


def error_of(data: Any) -> str:
    """The message of the StudyError that loading ``data`` (through YAML) raises."""
    with pytest.raises(StudyError) as caught:
        study_from_text(yaml.safe_dump(data, sort_keys=False), None)
    return str(caught.value)


def test_base_study_is_valid():
    study = study_from_text(yaml.safe_dump(base_study()), None)
    assert study.input_names == ("x1", "x2")


CASES = {
    # unknown keys, with the closest known key suggested (or the allowed ones listed)
    "top-level key": (("seeds",), 1, "seeds: unknown key (did you mean 'seed'?)"),
    "input key": (
        ("inputs", "x1", "lowe"),
        0.0,
        "inputs.x1.lowe: unknown key (did you mean 'low'?)",
    ),
    "input key, no close match": (
        ("inputs", "x1", "zzz"),
        0.0,
        "inputs.x1.zzz: unknown key (allowed: low, high)",
    ),
    "step key": (
        ("models", 0, "vectorised"),
        True,
        "models[0].vectorised: unknown key (did you mean 'vectorized'?)",
    ),
    "output key": (
        ("models", 0, "outputs"),
        [{"name": "m", "dim": ["x"]}],
        "models[0].outputs[0].dim: unknown key (did you mean 'dims'?)",
    ),
    "analysis option": (
        ("analysis", 0, "ordr"),
        3,
        "analysis[0].ordr: unknown key (did you mean 'order'?)",
    ),
    "execution key": (
        ("execution", "worker"),
        3,
        "execution.worker: unknown key (did you mean 'workers'?)",
    ),
    "output folder key": (
        ("output",),
        {"dir": "runs"},
        "output.dir: unknown key (allowed: directory, report)",
    ),
    # wrong types
    "string for a number": (
        ("inputs", "x1", "low"),
        "a",
        "inputs.x1.low: must be a number (got string)",
    ),
    "boolean for a number": (
        ("inputs", "x1", "low"),
        True,
        "inputs.x1.low: must be a number (got boolean)",
    ),
    "infinite number": (
        ("inputs", "x1", "high"),
        float("inf"),
        "inputs.x1.high: must be finite (got inf)",
    ),
    "float seed": (("seed",), 1.5, "seed: must be an integer (got number)"),
    "negative seed": (("seed",), -1, "seed: must be at least 0 (got -1)"),
    "string for a list": (
        ("models", 0, "inputs"),
        "x1",
        "models[0].inputs: must be a list (got string)",
    ),
    "string for a boolean": (
        ("models", 0, "vectorized"),
        "yes",
        "models[0].vectorized: must be true or false (got string)",
    ),
    "list for a mapping": (("execution",), [1], "execution: must be a mapping (got list)"),
    "input name not an identifier": (
        ("inputs", "2x"),
        {"distribution": "uniform", "low": 0, "high": 1},
        "inputs.2x: must be a valid Python identifier (got '2x')",
    ),
    "string coordinate": (
        ("models", 1, "outputs"),
        [{"name": "y", "dims": ["t"], "coords": {"t": [0, "a"]}}],
        "models[1].outputs[0].coords.t[1]: must be a number (got string)",
    ),
    "coordinate of no dim": (
        ("models", 1, "outputs"),
        [{"name": "y", "dims": ["t"], "coords": {"s": [0, 1]}}],
        "models[1].outputs[0].coords.s: is not one of the output's dims ['t']",
    ),
    # distributions
    "unknown distribution": (
        ("inputs", "x1", "distribution"),
        "unifrom",
        "inputs.x1.distribution: unknown value 'unifrom' (did you mean 'uniform'?)",
    ),
    "unknown distribution, no close match": (
        ("inputs", "x1", "distribution"),
        "weibull",
        "inputs.x1.distribution: unknown value 'weibull' (one of uniform, normal, "
        "lognormal, loguniform, beta, gamma, triangular, categorical, discrete_uniform, "
        "binomial, poisson)",
    ),
    "low above high": (
        ("inputs", "x1"),
        {"distribution": "uniform", "low": 2, "high": 1},
        "inputs.x1.high: must be greater than low (got low=2, high=1)",
    ),
    "low equal to high": (
        ("inputs", "x1"),
        {"distribution": "uniform", "low": 0.5, "high": 0.5},
        "inputs.x1.high: must be greater than low (got low=0.5, high=0.5)",
    ),
    "negative std": (("inputs", "x2", "std"), -1, "inputs.x2.std: must be positive (got -1)"),
    "zero std": (("inputs", "x2", "std"), 0, "inputs.x2.std: must be positive (got 0)"),
    "truncation upper below lower": (
        ("inputs", "x2"),
        {"distribution": "normal", "mean": 0, "std": 1, "lower": 1, "upper": 0},
        "inputs.x2.upper: must be greater than lower (got lower=1, upper=0)",
    ),
    "lognormal sigma zero": (
        ("inputs", "x1"),
        {"distribution": "lognormal", "mu": 0, "sigma": 0},
        "inputs.x1.sigma: must be positive (got 0)",
    ),
    "lognormal sigma negative": (
        ("inputs", "x1"),
        {"distribution": "lognormal", "mu": 0, "sigma": -0.5},
        "inputs.x1.sigma: must be positive (got -0.5)",
    ),
    "triangular mode above high": (
        ("inputs", "x1"),
        {"distribution": "triangular", "low": 0, "mode": 2, "high": 1},
        "inputs.x1.mode: must lie between low and high (got low=0, mode=2, high=1)",
    ),
    "triangular mode below low": (
        ("inputs", "x1"),
        {"distribution": "triangular", "low": 0, "mode": -1, "high": 1},
        "inputs.x1.mode: must lie between low and high (got low=0, mode=-1, high=1)",
    ),
    "loguniform low zero": (
        ("inputs", "x1"),
        {"distribution": "loguniform", "low": 0, "high": 1},
        "inputs.x1.low: must be positive (got 0)",
    ),
    "loguniform low negative": (
        ("inputs", "x1"),
        {"distribution": "loguniform", "low": -1, "high": 1},
        "inputs.x1.low: must be positive (got -1)",
    ),
    "beta alpha zero": (
        ("inputs", "x1"),
        {"distribution": "beta", "alpha": 0, "beta": 1},
        "inputs.x1.alpha: must be positive (got 0)",
    ),
    # missing keys
    "missing distribution parameter": (
        ("inputs", "x1", "high"),
        DELETE,
        "inputs.x1.high: is required for a uniform distribution",
    ),
    "missing distribution": (
        ("inputs", "x1", "distribution"),
        DELETE,
        "inputs.x1.distribution: is required",
    ),
    "missing study name": (("study",), DELETE, "study: is required"),
    "missing inputs": (("inputs",), DELETE, "inputs: is required"),
    "missing models": (("models",), DELETE, "models: is required"),
    "missing step function": (("models", 0, "python"), DELETE, "models[0].python: is required"),
    "missing step outputs": (("models", 1, "outputs"), DELETE, "models[1].outputs: is required"),
    "missing method": (
        ("analysis", 0),
        {"order": 2},
        "analysis[0].method: is required (one of moments, pce, sobol, morris)",
    ),
    "missing pce order": (
        ("analysis", 0),
        {"method": "pce"},
        "analysis[0].order: is required for method pce",
    ),
    "missing sobol n": (
        ("analysis", 0),
        {"method": "sobol"},
        "analysis[0].n: is required for method sobol",
    ),
    "no inputs": (("inputs",), {}, "inputs: must name at least one uncertain input"),
    "no models": (("models",), [], "models: must not be empty"),
    "no outputs": (("models", 0, "outputs"), [], "models[0].outputs: must not be empty"),
    # the model graph
    "unknown step input": (
        ("models", 0, "inputs"),
        ["x1", "x9"],
        "models[0].inputs[1]: unknown input 'x9' (not a study input nor an output of any step)",
    ),
    "output declared twice": (
        ("models", 1, "outputs"),
        ["m"],
        "models[1].outputs[0]: output 'm' is also declared by models[0] ('micro')",
    ),
    "output named like a study input": (
        ("models", 1, "outputs"),
        ["y", "x2"],
        "models[1].outputs[1]: 'x2' is already a study input; rename the output",
    ),
    "cycle between two steps": (
        ("models", 0, "inputs"),
        ["x1", "y"],
        "models[0].inputs: the steps micro -> macro depend on each other in a cycle",
    ),
    "duplicate step names": (
        ("models", 1, "name"),
        "micro",
        "models[1].name: 'micro' appears twice; names must be unique",
    ),
    "duplicate step input": (
        ("models", 1, "inputs"),
        ["m", "x2", "m"],
        "models[1].inputs[2]: 'm' appears twice; names must be unique",
    ),
    "function without module": (
        ("models", 0, "python"),
        "linear",
        "models[0].python: must be 'module:function' (got 'linear')",
    ),
    "parameter that is also an input": (
        ("models", 0, "parameters"),
        {"x1": 3.0},
        "models[0].parameters.x1: is also one of the step's inputs; a keyword can come "
        "from one only",
    ),
    # analyses
    "unknown method": (
        ("analysis", 0),
        {"method": "sobl", "n": 8},
        "analysis[0].method: unknown value 'sobl' (did you mean 'sobol'?)",
    ),
    "sobol n not a power of 2": (
        ("analysis", 0),
        {"method": "sobol", "n": 100},
        "analysis[0].n: must be a power of 2 for Saltelli sampling (got 100)",
    ),
    "pce order zero": (
        ("analysis", 0, "order"),
        0,
        "analysis[0].order: must be at least 1 (got 0)",
    ),
    "unknown pce design": (
        ("analysis", 0, "design"),
        "sparse",
        "analysis[0].design: unknown value 'sparse' (one of regression, quadrature)",
    ),
    "quantile outside (0, 1)": (
        ("analysis", 0),
        {"method": "moments", "quantiles": [0.5, 1.5]},
        "analysis[0].quantiles[1]: must lie strictly between 0 and 1 (got 1.5)",
    ),
    "label not an identifier": (
        ("analysis", 0, "label"),
        "my label",
        "analysis[0].label: must be a valid Python identifier (got 'my label')",
    ),
    "duplicate label": (
        ("analysis",),
        [{"method": "pce", "order": 2}, {"method": "pce", "order": 3}],
        "analysis[1].label: 'pce' appears twice; names must be unique",
    ),
    # execution
    "unknown cluster": (
        ("execution", "cluster"),
        "slrum",
        "execution.cluster: unknown value 'slrum' (did you mean 'slurm'?)",
    ),
    "no workers": (("execution", "workers"), 0, "execution.workers: must be at least 1 (got 0)"),
    "float workers": (
        ("execution", "workers"),
        2.5,
        "execution.workers: must be an integer (got number)",
    ),
    "unknown nonfinite policy": (
        ("execution", "nonfinite"),
        "drop",
        "execution.nonfinite: unknown value 'drop' (one of fail, keep)",
    ),
}


@pytest.mark.parametrize(("path", "value", "message"), list(CASES.values()), ids=list(CASES))
def test_message(path, value, message):
    assert error_of(broken(path, value)) == message


def test_error_carries_path_and_message_apart():
    data = broken(("inputs", "x1"), {"distribution": "uniform", "low": 2, "high": 1})
    with pytest.raises(StudyError) as caught:
        study_from_text(yaml.safe_dump(data), None)
    assert caught.value.path == "inputs.x1.high"
    assert caught.value.message == "must be greater than low (got low=2, high=1)"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("study: [a\ninputs: {x: 1}\n", 2),
        ("study: a\nseed: 1\ninputs:\n  x1: {distribution: uniform\n  low: 0}\nmodels: []\n", 5),
        ("study: a\n  bad: indent\n", 2),
    ],
)
def test_invalid_yaml_names_the_line(text, line):
    with pytest.raises(StudyError) as caught:
        study_from_text(text, None, source="broken.yaml")
    assert str(caught.value).startswith(f"broken.yaml: not valid YAML (line {line}, column ")


def test_invalid_yaml_pinned():
    with pytest.raises(StudyError) as caught:
        study_from_text("study: [a\ninputs: {\n", None)
    assert str(caught.value) == (
        "study file: not valid YAML (line 2, column 7: expected ',' or ']', but got ':')"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 1\n- 2\n", "study file: must be a mapping (got list)"),
        ("just a string\n", "study file: must be a mapping (got string)"),
        ("", "study file: must be a mapping (got null)"),
        ("1: {distribution: uniform}\n", "study file: keys must be strings (got 1)"),
    ],
)
def test_top_level_must_be_a_mapping(text, message):
    with pytest.raises(StudyError) as caught:
        study_from_text(text, None)
    assert str(caught.value) == message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(StudyError) as caught:
        load_study(path)
    assert str(caught.value) == f"{path}: cannot read the study file (No such file or directory)"


def test_load_study_names_the_file_in_yaml_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("study: [a\n", encoding="utf-8")
    with pytest.raises(StudyError) as caught:
        load_study(path)
    assert str(caught.value).startswith(f"{path}: not valid YAML (line ")


def test_field_errors_are_independent_of_the_base_dir(tmp_path):
    data = yaml.safe_dump(broken(("seeds",), 1))
    with pytest.raises(StudyError, match=r"^seeds: unknown key \(did you mean 'seed'\?\)$"):
        study_from_text(data, tmp_path)


# --- importing a step's function -------------------------------------------------------


def test_load_callable_missing_module():
    with pytest.raises(StudyError) as caught:
        load_callable("no_such_module_xyz:f", None, "models[0].python")
    assert str(caught.value).startswith("models[0].python: cannot import 'no_such_module_xyz'")
    assert str(caught.value) == (
        "models[0].python: cannot import 'no_such_module_xyz': No module named 'no_such_module_xyz'"
    )


def test_load_callable_missing_module_says_where_it_looked(tmp_path):
    with pytest.raises(StudyError) as caught:
        load_callable("no_such_module_xyz:f", tmp_path, "models[1].python")
    assert str(caught.value).startswith(
        f"models[1].python: cannot import 'no_such_module_xyz' (looked in {tmp_path} and "
        f"installed packages): "
    )


@pytest.mark.parametrize("function", ["no_such_function", "np"])
def test_load_callable_module_without_the_function(function):
    # ``np`` exists in the module but is not callable: refused the same way
    with pytest.raises(StudyError) as caught:
        load_callable(f"uqscale.testfunctions:{function}", None, "models[0].python")
    assert str(caught.value) == (
        f"models[0].python: module 'uqscale.testfunctions' has no function '{function}'"
    )


def test_load_callable_module_that_raises_on_import(tmp_path):
    (tmp_path / "uqscale_test_boom_module.py").write_text(
        "raise RuntimeError('boom')\n", encoding="utf-8"
    )
    with pytest.raises(StudyError) as caught:
        load_callable("uqscale_test_boom_module:f", tmp_path, "models[0].python")
    assert str(caught.value) == (
        "models[0].python: importing 'uqscale_test_boom_module' raised RuntimeError: boom"
    )


# --- known bugs ----------------------------------------------------------------------


@pytest.mark.parametrize("bounds", [{"high": -1.0}, {"low": 2.0}], ids=["high<0", "low>1"])
def test_beta_with_one_bound_past_the_default_other_is_refused(bounds):
    entry = {"distribution": "beta", "alpha": 2.0, "beta": 2.0, **bounds}
    with pytest.raises(StudyError, match=r"^inputs\.x1\.(low|high): "):
        study_from_text(yaml.safe_dump(broken(("inputs", "x1"), entry)), None)


def test_beta_bounds_both_given_are_checked():
    entry = {"distribution": "beta", "alpha": 2.0, "beta": 2.0, "low": 3.0, "high": 1.0}
    assert error_of(broken(("inputs", "x1"), entry)) == (
        "inputs.x1.high: must be greater than low (got low=3, high=1)"
    )
