"""Saltelli/SALib Sobol indices against analytic values."""

from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import ISHIGAMI, analyse_in_process, gfunction_exact, uniform_study
from uqscale.design import build_design

PI = np.pi
G_A = [0, 1, 4.5, 9, 99, 99, 99, 99]


@pytest.mark.slow
def test_ishigami_saltelli_2_14_within_002(tmp_path):
    study = uniform_study(
        "ishigami",
        "uqscale.testfunctions:ishigami",
        3,
        [{"method": "sobol", "n": 2**14, "resamples": 20}],
        low=-PI,
        high=PI,
    )
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    np.testing.assert_allclose(result["S1"].values, ISHIGAMI["S1"], atol=0.02)
    np.testing.assert_allclose(result["ST"].values, ISHIGAMI["ST"], atol=0.02)
    assert (result["S1_conf"].values > 0).all()


@pytest.mark.slow
def test_gfunction_saltelli_within_002(tmp_path):
    study = uniform_study(
        "gfunction",
        "uqscale.testfunctions:gfunction",
        8,
        [{"method": "sobol", "n": 2**13, "resamples": 20}],
        parameters={"a": G_A},
    )
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    s1, st = gfunction_exact(G_A)
    np.testing.assert_allclose(result["S1"].values, s1, atol=0.02)
    np.testing.assert_allclose(result["ST"].values, st, atol=0.02)


def test_linear_model_groups_and_confidence(tmp_path):
    # y = x1 + 2 x2 + 3 x3, independent uniforms: S_i = c_i^2 / 14; groups add up.
    c = np.array([1.0, 2.0, 3.0])
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        3,
        [{"method": "sobol", "n": 2**12, "second_order": True, "resamples": 50}],
        parameters={"coefficients": c.tolist()},
        scales=["micro", "micro", "macro"],
    )
    result = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    exact = c**2 / np.sum(c**2)
    # Saltelli's estimators at n = 4096: a few 1e-2 at most for a linear model.
    np.testing.assert_allclose(result["S1"].values, exact, atol=0.03)
    np.testing.assert_allclose(result["ST"].values, exact, atol=0.03)
    np.testing.assert_allclose(
        result["S1_group"].sel(group=["micro", "macro"]).values, [5 / 14, 9 / 14], atol=0.03
    )
    np.testing.assert_allclose(result["S2"].values, 0.0, atol=0.05)
    assert result["S2"].values[0, 1] == result["S2"].values[1, 0]


def test_failed_samples_make_sobol_refuse(tmp_path):
    study = uniform_study(
        "flaky",
        "tests.models.flaky:vectorized",
        2,
        [{"method": "sobol", "n": 64}, {"method": "pce", "order": 2, "n": 60}],
    )
    analyses, errors = analyse_in_process(study, tmp_path)
    assert "sobol" not in analyses
    assert errors["sobol"].startswith("sobol: ")
    assert "needs every sample of its design" in errors["sobol"]
    assert analyses["pce"]["y"].attrs["n_failed"] > 0


def one_failing_output(analysis: list[dict]):
    study = uniform_study(
        "half", "tests.models.flaky:one_output_fails", 2, analysis, outputs=("good", "bad")
    )
    return study.replace(execution=replace(study.execution, nonfinite="keep"))


@pytest.mark.parametrize(
    "method", [{"method": "sobol", "n": 256}, {"method": "morris", "trajectories": 40, "levels": 6}]
)
def test_a_failed_output_never_hides_another(tmp_path, method):
    study = one_failing_output([method])
    analyses, errors = analyse_in_process(study, tmp_path)
    label = method["method"]
    assert set(analyses[label].children) == {"good"}
    assert "of output 'bad' failed or are not finite" in errors[label]
    assert "(the other outputs are estimated)" in errors[label]
    assert analyses[label]["good"].attrs["n_failed"] == 0


def test_sobol_failures_drop_drops_whole_base_samples(tmp_path):
    n = 256
    dropping = one_failing_output([{"method": "sobol", "n": n, "failures": "drop"}])
    analyses, errors = analyse_in_process(dropping, tmp_path / "drop")
    assert not errors
    bad, good = analyses["sobol"]["bad"], analyses["sobol"]["good"]
    # the bases dropped: those with x1 > 0.9 in A or in B (every AB_i row takes x1 from
    # one of them); 2 inputs, one group: 4 rows per base
    design = build_design(dropping)
    x1 = design["x1"].values.reshape(n, 4)
    dropped = int((x1 > 0.9).any(axis=1).sum())
    assert 0 < dropped < n
    assert bad.attrs["n_dropped"] == dropped and bad.attrs["n"] == n - dropped
    assert bad.attrs["n_used"] == 4 * (n - dropped) and "biases" in bad.attrs["warning"]
    # what is left estimates the model on x1 <= 0.9 (the bias the warning names):
    # y = x1 + 2 x2 with x1 ~ U(0, 0.9), so S = ST = (0.81, 4) / 4.81
    conditioned = np.array([0.81, 4.0]) / 4.81
    np.testing.assert_allclose(bad["S1"].values, conditioned, atol=0.06)
    np.testing.assert_allclose(bad["ST"].values, conditioned, atol=0.06)
    # the complete output is estimated exactly as without the option
    kept = one_failing_output([{"method": "sobol", "n": n}])
    plain, _ = analyse_in_process(kept, tmp_path / "keep")
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        np.testing.assert_array_equal(good[key].values, plain["sobol"]["good"][key].values)
    assert "n_dropped" not in good.attrs
