"""Polynomial chaos against analytic Sobol indices."""

import numpy as np
import pytest

from tests.conftest import ISHIGAMI, analyse_in_process, uniform_study

PI = np.pi


def ishigami_study(analysis):
    return uniform_study(
        "ishigami", "uqscale.testfunctions:ishigami", 3, analysis, low=-PI, high=PI
    )


@pytest.mark.parametrize(
    "design",
    [
        {"design": "regression", "n": 500},
        {"design": "quadrature"},
    ],
)
def test_ishigami_indices_within_001(tmp_path, design):
    analyses, errors = analyse_in_process(
        ishigami_study([{"method": "pce", "order": 8, **design}]), tmp_path
    )
    assert not errors
    result = analyses["pce"]["y"]
    np.testing.assert_allclose(result["S1"].values, ISHIGAMI["S1"], atol=0.01)
    np.testing.assert_allclose(result["ST"].values, ISHIGAMI["ST"], atol=0.01)
    assert abs(result["mean"].item() - ISHIGAMI["mean"]) < 0.02
    assert abs(result["variance"].item() / ISHIGAMI["variance"] - 1) < 0.01
    # The only interaction is x1-x3 (S13 = ST3 = 0.243684).
    assert result["S2"].sel(input="x1", input_b="x3").item() == pytest.approx(0.243684, abs=0.01)
    assert result["S2"].sel(input="x1", input_b="x2").item() == pytest.approx(0.0, abs=0.01)


def test_sparse_smolyak_quadrature(tmp_path):
    analyses, _ = analyse_in_process(
        ishigami_study([{"method": "pce", "order": 8, "design": "quadrature", "sparse": True}]),
        tmp_path,
    )
    np.testing.assert_allclose(analyses["pce"]["y"]["ST"].values, ISHIGAMI["ST"], atol=0.01)


def test_linear_model_is_exact_and_loo_error_vanishes(tmp_path):
    c = [1.0, 2.0, -3.0]
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        3,
        [{"method": "pce", "order": 2, "n": 40}],
        parameters={"coefficients": c},
    )
    analyses, _ = analyse_in_process(study, tmp_path)
    result = analyses["pce"]["y"]
    exact = np.square(c) / np.sum(np.square(c))
    np.testing.assert_allclose(result["S1"].values, exact, atol=1e-10)
    np.testing.assert_allclose(result["ST"].values, exact, atol=1e-10)
    assert result["mean"].item() == pytest.approx(0.5 * sum(c))
    assert result["variance"].item() == pytest.approx(np.sum(np.square(c)) / 12)
    assert result["loo_error"].item() < 1e-20


def test_group_indices_of_ishigami(tmp_path):
    # Groups {x1, x2} and {x3}: closed S1 of {x1, x2} = S1 + S2 (no x1-x2 interaction),
    # total of {x3} = ST3.
    study = uniform_study(
        "ishigami",
        "uqscale.testfunctions:ishigami",
        3,
        [{"method": "pce", "order": 8, "n": 500}],
        low=-PI,
        high=PI,
        scales=["micro", "micro", "macro"],
    )
    result = analyse_in_process(study, tmp_path)[0]["pce"]["y"]
    groups = result.sel(group=["micro", "macro"])
    assert groups["S1_group"].values[0] == pytest.approx(0.313905 + 0.442411, abs=0.01)
    assert groups["ST_group"].values[1] == pytest.approx(0.243684, abs=0.01)
    assert groups["ST_group"].values[0] == pytest.approx(1.0, abs=0.01)
