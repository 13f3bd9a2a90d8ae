"""An expansion whose honest error is too large says so: in indices.json and in the
terminal summary; one that fits says it is reliable."""

from __future__ import annotations

from tests.conftest import analyse_in_process, uniform_study
from uqscale.report.indices import indices_document
from uqscale.report.table import indices_table


def summary_of(study, tmp_path):
    tree, _ = analyse_in_process(study, tmp_path)
    document = indices_document(study.name, 0, 0, tree)
    return document["outputs"]["y"], indices_table(document)


def test_a_non_smooth_function_on_few_runs_is_marked_unreliable(tmp_path):
    # The G-function with a_i = 0 has kinks in every input: 40 runs cannot fit it.
    study = uniform_study(
        "kinked",
        "uqscale.testfunctions:gfunction",
        6,
        [{"method": "pce", "order": "auto", "n": 40}, {"method": "sobol", "n": 64}],
        parameters={"a": [0, 0, 0, 0, 0, 0]},
    )
    entry, text = summary_of(study, tmp_path)
    assert entry["pce"]["reliable"] is False
    assert "error" in entry["pce"]["reliability"]
    assert entry["pce"]["cv_error"] > 0.1
    assert "NOT RELIABLE" in text
    assert "reliable" not in entry["sobol"]


def test_a_polynomial_fitted_exactly_is_reliable(tmp_path):
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        3,
        [{"method": "pce", "order": "auto", "n": 40}],
        parameters={"coefficients": [1.0, 2.0, 0.5]},
    )
    entry, text = summary_of(study, tmp_path)
    assert entry["pce"]["reliable"] is True and "reliability" not in entry["pce"]
    assert "NOT RELIABLE" not in text and "fit good" in text
