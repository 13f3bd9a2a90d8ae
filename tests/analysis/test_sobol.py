"""Saltelli/SALib Sobol indices against analytic values."""

import numpy as np
import pytest

from tests.conftest import ISHIGAMI, analyse_in_process, gfunction_exact, uniform_study

PI = np.pi
G_A = [0, 1, 4.5, 9, 99, 99, 99, 99]


@pytest.mark.slow
def test_ishigami_saltelli_2_14_within_002(tmp_path):
    study = uniform_study("ishigami", "uqscale.testfunctions:ishigami", 3,
                          [{"method": "sobol", "n": 2**14, "resamples": 20}], low=-PI, high=PI)
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    np.testing.assert_allclose(result["S1"].values, ISHIGAMI["S1"], atol=0.02)
    np.testing.assert_allclose(result["ST"].values, ISHIGAMI["ST"], atol=0.02)
    assert (result["S1_conf"].values > 0).all()


@pytest.mark.slow
def test_gfunction_saltelli_within_002(tmp_path):
    study = uniform_study("gfunction", "uqscale.testfunctions:gfunction", 8,
                          [{"method": "sobol", "n": 2**13, "resamples": 20}],
                          parameters={"a": G_A})
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    s1, st = gfunction_exact(G_A)
    np.testing.assert_allclose(result["S1"].values, s1, atol=0.02)
    np.testing.assert_allclose(result["ST"].values, st, atol=0.02)


def test_linear_model_groups_and_confidence(tmp_path):
    # y = x1 + 2 x2 + 3 x3, independent uniforms: S_i = c_i^2 / 14; groups add up.
    c = np.array([1.0, 2.0, 3.0])
    study = uniform_study("linear", "uqscale.testfunctions:linear", 3,
                          [{"method": "sobol", "n": 2**12, "second_order": True,
                            "resamples": 50}],
                          parameters={"coefficients": c.tolist()},
                          scales=["micro", "micro", "macro"])
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    exact = c**2 / np.sum(c**2)
    # Saltelli's estimators at n = 4096: a few 1e-2 at most for a linear model.
    np.testing.assert_allclose(result["S1"].values, exact, atol=0.03)
    np.testing.assert_allclose(result["ST"].values, exact, atol=0.03)
    np.testing.assert_allclose(result["S1_group"].sel(group=["micro", "macro"]).values,
                               [5 / 14, 9 / 14], atol=0.03)
    np.testing.assert_allclose(result["S2"].values, 0.0, atol=0.05)
    assert result["S2"].values[0, 1] == result["S2"].values[1, 0]


def test_failed_samples_make_sobol_refuse(tmp_path):
    study = uniform_study("flaky", "tests.models.flaky:vectorized", 2,
                          [{"method": "sobol", "n": 64}, {"method": "pce", "order": 2, "n": 60}])
    analyses, errors = analyse_in_process(study, tmp_path)
    assert "sobol" not in analyses
    assert errors["sobol"].startswith("sobol: ")
    assert "needs every sample of its design" in errors["sobol"]
    assert analyses["pce"]["y"].attrs["n_failed"] > 0
