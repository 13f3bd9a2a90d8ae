"""Morris elementary effects and moments on models with known answers."""

import numpy as np
import pytest

from tests.conftest import analyse_in_process, uniform_study


def test_morris_linear_model_effects_are_exact(tmp_path):
    # On the bin-midpoint grid a step of 1 grid unit moves x by (p - 1) / p of its
    # range, so every elementary effect of c_i x_i is c_i (high - low) (p - 1) / p.
    c = np.array([1.0, -2.0, 5.0])
    levels = 4
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        3,
        [{"method": "morris", "trajectories": 12, "levels": levels}],
        low=0.0,
        high=2.0,
        parameters={"coefficients": c.tolist()},
    )
    result = analyse_in_process(study, tmp_path)[0]["morris"]["y"]
    effect = c * 2.0 * (levels - 1) / levels
    np.testing.assert_allclose(result["mu"].values, effect, rtol=1e-9)
    np.testing.assert_allclose(result["mu_star"].values, np.abs(effect), rtol=1e-9)
    np.testing.assert_allclose(result["sigma"].values, 0.0, atol=1e-9)


def test_moments_of_linear_model_within_standard_error(tmp_path):
    c = np.array([1.0, 2.0])
    n = 4000
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        2,
        [{"method": "moments", "n": n, "rule": "random", "quantiles": [0.5]}],
        parameters={"coefficients": c.tolist()},
    )
    result = analyse_in_process(study, tmp_path)[0]["moments"]["y"]
    variance = np.sum(c**2) / 12
    assert abs(result["mean"].item() - 1.5) < 5 * np.sqrt(variance / n)
    # Var of the sample variance ~ (mu4 - sigma^4) / n; bounded by 2 sigma^4 / n here.
    assert abs(result["variance"].item() - variance) < 5 * variance * np.sqrt(2 / n)
    assert result["quantile"].sel(q=0.5).item() == pytest.approx(1.5, abs=0.05)


def test_moments_reuse_the_pce_design_and_drop_failures(tmp_path):
    study = uniform_study(
        "flaky",
        "tests.models.flaky:vectorized",
        2,
        [{"method": "pce", "order": 2, "n": 200}, {"method": "moments"}],
    )
    analyses, errors = analyse_in_process(study, tmp_path)
    assert not errors
    moments = analyses["moments"]["y"]
    assert moments.attrs["n_used"] + moments.attrs["n_failed"] == 200
    # Failed samples (x1 > 0.9) are dropped: the mean of x1 + x2 given x1 <= 0.9.
    assert moments["mean"].item() == pytest.approx(0.45 + 0.5, abs=0.05)


def test_morris_equals_salib_point_by_point(tmp_path):
    # Vectorised over field points, the estimators must equal SALib's morris.analyze.
    from SALib.analyze import morris as salib_morris

    from tests.analysis.test_fields import field_study
    from uqscale.analysis.morris import grid
    from uqscale.design import analysis_rng
    from uqscale.space import InputSpace

    study = field_study([{"method": "morris", "trajectories": 30, "levels": 4}])
    ours = analyse_in_process(study, tmp_path)[0]["morris"]["y"]
    space = InputSpace(study.inputs)
    unit = grid(space, study.analysis[0].options, analysis_rng(study, study.analysis[0]))
    x = space.to_physical((unit * 3 + 0.5) / 4)
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1]] * 2}
    for k, t in enumerate(ours["t"].values):
        theirs = salib_morris.analyze(problem, unit, x[:, 0] + t * x[:, 1], num_levels=4, seed=1)
        for key in ("mu", "mu_star", "sigma"):
            np.testing.assert_allclose(ours[key].values[:, k], theirs[key], rtol=1e-12, atol=1e-12)


def test_morris_failures_drop_drops_whole_trajectories(tmp_path):
    from dataclasses import replace

    from uqscale.design import build_design

    study = uniform_study(
        "half",
        "tests.models.flaky:one_output_fails",
        2,
        [{"method": "morris", "trajectories": 40, "levels": 6, "failures": "drop"}],
        outputs=("good", "bad"),
    )
    study = study.replace(execution=replace(study.execution, nonfinite="keep"))
    analyses, errors = analyse_in_process(study, tmp_path)
    assert not errors
    x1 = build_design(study)["x1"].values.reshape(40, 3)  # 2 inputs: 3 rows each
    dropped = int((x1 > 0.9).any(axis=1).sum())
    bad, good = analyses["morris"]["bad"], analyses["morris"]["good"]
    assert bad.attrs["n_dropped"] == dropped > 0 and "biases" in bad.attrs["warning"]
    assert bad.attrs["n_used"] == 3 * (40 - dropped)
    # a linear model: every elementary effect is its coefficient, whatever is dropped
    # (per unit of the quantile grid: c_i times the input's range)
    np.testing.assert_allclose(bad["mu_star"].values, good["mu_star"].values)
    np.testing.assert_allclose(bad["sigma"].values, 0.0, atol=1e-12)
