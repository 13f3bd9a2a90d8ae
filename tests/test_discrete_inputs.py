"""Discrete and categorical inputs (issue 19 points 3 and 4): their laws on every
design, a closed form for Sobol and Shapley indices of a categorical factor, string
values reaching the model, what the run folder keeps, and one-line refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from tests.discrete_models import LEVEL
from uqscale import api
from uqscale.design import build_design
from uqscale.discrete import categories_of
from uqscale.errors import StudyError
from uqscale.sampling import block_rng, unit_sample
from uqscale.space import InputSpace
from uqscale.store import RunStore
from uqscale.study import Study
from uqscale.study.model import UncertainInput

PROBABILITIES = {"conventional": 0.2, "scale_aware": 0.5, "hybrid": 0.3}
SCHEME = {
    "distribution": "categorical",
    "values": list(PROBABILITIES),
    "probabilities": list(PROBABILITIES.values()),
}
P_VALUE = 1e-3
"""Two-sided binomial-test p-value below which a frequency is called wrong: a correct
law fails one such test with probability 1e-3 (the streams are fixed, so a pass is
repeatable)."""


def laws() -> dict[str, tuple[UncertainInput, stats.rv_discrete, list]]:
    """Each discrete family: the input, its scipy law over the values, the values."""
    return {
        "categorical": (
            UncertainInput(
                "c", "categorical", {"values": [1.0, 2.5, 10.0], "probabilities": [0.1, 0.6, 0.3]}
            ),
            stats.rv_discrete(values=([0, 1, 2], [0.1, 0.6, 0.3])),
            [1.0, 2.5, 10.0],
        ),
        "discrete_uniform": (
            UncertainInput("u", "discrete_uniform", {"low": -2, "high": 3}),
            stats.randint(-2, 4),
            list(range(-2, 4)),
        ),
        "binomial": (
            UncertainInput("b", "binomial", {"n": 12, "p": 0.3}),
            stats.binom(12, 0.3),
            list(range(13)),
        ),
        "poisson": (
            UncertainInput("m", "poisson", {"mu": 2.5}),
            stats.poisson(2.5),
            list(range(12)),
        ),
    }


@pytest.mark.parametrize("rule", ["random", "lhs", "sobol", "halton"])
@pytest.mark.parametrize("family", list(laws()))
def test_frequencies_match_the_probabilities(family, rule):
    item, law, values = laws()[family]
    n = 4096
    x = InputSpace([item]).to_physical(unit_sample(rule, n, 1, block_rng(11, f"{family}{rule}")))[
        :, 0
    ]
    assert set(np.unique(x)) <= set(values) | set(range(12, 40))
    for k, value in enumerate(values):
        p = law.pmf(k if family == "categorical" else value)
        count = int(np.sum(x == value))
        assert stats.binomtest(count, n, p).pvalue > P_VALUE, (value, count / n, p)
        if rule != "random":  # stratified designs: within a few points of the exact count
            assert abs(count - n * p) <= 3 + 0.02 * n * p, (value, count, n * p)


def _study(analysis, vectorized=True, execution=None) -> Study:
    return Study.from_dict(
        {
            "study": "variant",
            "seed": 5,
            "inputs": {"scheme": SCHEME, "x": {"distribution": "uniform", "low": 0.0, "high": 1.0}},
            "models": [
                {
                    "name": "m",
                    "python": "tests.discrete_models:variant"
                    + ("_vectorized" if vectorized else ""),
                    "inputs": ["scheme", "x"],
                    "outputs": ["y"],
                    "vectorized": vectorized,
                }
            ],
            "analysis": analysis,
            "execution": execution or {"cluster": "local", "workers": 1},
            "output": {"report": False},
        }
    )


def closed_form() -> float:
    """First-order (= total) index of ``scheme`` in ``y = f(scheme) + x``, ``x ~ U(0, 1)``:
    ``Var f / (Var f + 1/12)``."""
    p, f = np.array(list(PROBABILITIES.values())), np.array([LEVEL[v] for v in PROBABILITIES])
    var_f = p @ (f - p @ f) ** 2
    return float(var_f / (var_f + 1 / 12))


def test_sobol_and_shapley_indices_of_a_categorical_factor_match_the_closed_form(tmp_path, client):
    study = _study(
        [{"method": "sobol", "n": 1024}, {"method": "shapley", "permutations": 200, "n_var": 2000}]
    )
    run = api.run(study, tmp_path / "run", client=client)
    indices = json.loads((run.directory / "indices.json").read_text())["outputs"]["y"]
    s = closed_form()
    sobol, shapley = indices["sobol"], indices["shapley"]
    for key in ("S1", "ST"):
        assert abs(sobol[key]["scheme"] - s) <= max(sobol[f"{key}_conf"]["scheme"], 0.01)
        assert abs(sobol[key]["x"] - (1 - s)) <= max(sobol[f"{key}_conf"]["x"], 0.01)
    assert abs(shapley["Sh"]["scheme"] - s) <= shapley["Sh_conf"]["scheme"]
    # Can fail: the variants' offsets change the index a lot.
    assert abs(s - 0.5) > 0.3


def test_strings_reach_the_model_and_the_codes_survive_the_run_folder(tmp_path, client):
    study = _study([{"method": "moments", "n": 40}], vectorized=False)
    run = api.run(study, tmp_path / "run", client=client)
    store = RunStore.open(run.directory)
    design = store.design()
    assert categories_of(design["scheme"]) == tuple(PROBABILITIES)
    results, failures = store.collect(design.sizes["sample"], {"y": {}})
    assert not failures  # the model raises unless it gets the string
    codes = design["scheme"].values.astype(int)
    expected = np.array([LEVEL[list(PROBABILITIES)[c]] for c in codes]) + design["x"].values
    np.testing.assert_allclose(results["y"].values, expected)
    again = api.run(study, tmp_path / "run", client=client)  # resume: nothing to do
    assert categories_of(RunStore.open(again.directory).design()["scheme"]) == tuple(PROBABILITIES)
    assert study.inputs[0].to_dict()["values"] == list(PROBABILITIES)
    # The report describes the categorical input and draws every section.
    import warnings

    from uqscale.report.html import write_report

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a section not drawn warns
        text = write_report(run.directory).read_text(encoding="utf-8")
    described = ", ".join(f"{v} ({p:g})" for v, p in PROBABILITIES.items())
    assert f"categorical: {described}" in text and "Not drawn" not in text


def test_results_do_not_depend_on_workers_or_batch_size(tmp_path, client):
    study = _study([{"method": "sobol", "n": 64}], vectorized=False)
    first = api.run(study, tmp_path / "a", client=client, batch_size=7)
    other = _study([{"method": "sobol", "n": 64}], vectorized=False, execution={"workers": 2})
    second = api.run(other, tmp_path / "b", batch_size=50)
    a, b = (xr.load_dataset(r.directory / "results.nc") for r in (first, second))
    np.testing.assert_array_equal(a["y"].values, b["y"].values)
    ia, ib = (
        json.loads((r.directory / "indices.json").read_text())["outputs"] for r in (first, second)
    )
    assert ia == ib


def _with_input(entry, analysis=None, correlation=None):
    data = {
        "study": "bad",
        "inputs": {"c": entry, "x": {"distribution": "uniform", "low": 0, "high": 1}},
        "models": [{"name": "m", "python": "tests.discrete_models:variant", "outputs": ["y"]}],
        "analysis": analysis or [{"method": "sobol", "n": 16}],
    }
    if correlation:
        data["correlation"] = correlation
    return data


BAD = {
    "probabilities do not sum to 1": (
        {"distribution": "categorical", "values": ["a", "b"], "probabilities": [0.5, 0.6]},
        "inputs.c.probabilities: must sum to 1 (got 1.1)",
    ),
    "a probability outside [0, 1]": (
        {"distribution": "categorical", "values": ["a", "b"], "probabilities": [1.5, -0.5]},
        "inputs.c.probabilities[0]: must be a number in [0, 1]",
    ),
    "one probability per value": (
        {"distribution": "categorical", "values": ["a", "b", "c"], "probabilities": [0.5, 0.5]},
        "inputs.c.probabilities: must give one probability per value (3)",
    ),
    "a value twice": (
        {"distribution": "categorical", "values": ["a", "a"]},
        "inputs.c.values: 'a' appears twice",
    ),
    "one value": (
        {"distribution": "categorical", "values": ["a"]},
        "inputs.c.values: must list at least two",
    ),
    "strings and numbers": (
        {"distribution": "categorical", "values": ["a", 1]},
        "inputs.c.values: must be all strings or all numbers",
    ),
    "values not a list": (
        {"distribution": "categorical", "values": 3},
        "inputs.c.values: must be a list",
    ),
    "a list for a number": (
        {"distribution": "poisson", "mu": [1, 2]},
        "inputs.c.mu: must be a number",
    ),
    "negative mu": (
        {"distribution": "poisson", "mu": -1.0},
        "inputs.c.mu: must be positive (got -1)",
    ),
    "p of 1": (
        {"distribution": "binomial", "n": 5, "p": 1.0},
        "inputs.c.p: must lie strictly between 0 and 1",
    ),
    "fractional n": (
        {"distribution": "binomial", "n": 2.5, "p": 0.5},
        "inputs.c.n: must be an integer (got 2.5)",
    ),
    "fractional low": (
        {"distribution": "discrete_uniform", "low": 0.5, "high": 3},
        "inputs.c.low: must be an integer",
    ),
    "high below low": (
        {"distribution": "discrete_uniform", "low": 3, "high": 1},
        "inputs.c.high: must be greater than low",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_mistake_is_one_line_naming_the_field(case):
    entry, message = BAD[case]
    with pytest.raises(StudyError) as caught:
        Study.from_dict(_with_input(entry))
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("method", ["pce", "morris"])
def test_methods_that_need_continuous_inputs_refuse_with_one_line(method):
    options = {"order": 2} if method == "pce" else {}
    with pytest.raises(StudyError) as caught:
        Study.from_dict(_with_input(SCHEME, analysis=[{"method": method, **options}]))
    assert str(caught.value).startswith(
        f"analysis[0].method: {method} needs continuous inputs, and inputs.c is categorical"
    )


def test_a_discrete_input_in_a_correlation_block_is_refused():
    block = {"inputs": ["c", "x"], "matrix": [[1.0, 0.5], [0.5, 1.0]]}
    with pytest.raises(StudyError) as caught:
        Study.from_dict(
            _with_input({"distribution": "poisson", "mu": 2.0}, [{"method": "shapley"}], block)
        )
    assert str(caught.value).startswith("correlation.inputs[0]: 'c' is poisson")


def test_the_python_api_takes_lists_and_the_design_keeps_the_values():
    params = {"values": list(PROBABILITIES), "probabilities": list(PROBABILITIES.values())}
    item = UncertainInput("scheme", "categorical", params)
    study = _study([{"method": "moments", "n": 8}]).replace(inputs=[item, _study([]).inputs[1]])
    design = build_design(study)
    assert json.loads(design["scheme"].attrs["categories"]) == list(PROBABILITIES)
    assert set(np.unique(design["scheme"].values)) <= {0.0, 1.0, 2.0}
