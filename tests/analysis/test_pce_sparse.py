"""Sparse, adaptive polynomial chaos against exact indices (docs/references.md).

Tolerances follow from the fit's own error: if a surrogate's mean squared error is
``eps`` times the variance, every index that is a variance share of an orthogonal
projection (first, total, closed group indices) is off by at most about
``4 sqrt(eps)`` (the projection moves by at most ``sqrt(eps)`` in the square root of
the share, and so does the variance); ``eps`` is the fit's own ``cv_error``.
"""

import numpy as np
import pytest

from tests.conftest import ISHIGAMI, analyse_in_process, gfunction_exact, uniform_study
from tests.models.fields import TIMES
from uqscale.report.indices import indices_document
from uqscale.study import Study

PI = np.pi
G_A = [0, 1, 4.5, 9, 99, 99, 99, 99]


def own_bound(result) -> float:
    """The index error the fit's own cross-validation error allows."""
    return 4.0 * float(np.sqrt(result["cv_error"].max()))


def index_error(result, s1, st) -> float:
    return float(
        max(np.abs(result["S1"].values - s1).max(), np.abs(result["ST"].values - st).max())
    )


def ishigami(analysis, tmp_path):
    study = uniform_study(
        "ishigami",
        "uqscale.testfunctions:ishigami",
        3,
        analysis,
        low=-PI,
        high=PI,
        scales=["micro", "micro", "macro"],
    )
    return analyse_in_process(study, tmp_path)


def test_ishigami_auto_degree_at_64_runs(tmp_path):
    analyses, errors = ishigami([{"method": "pce", "order": "auto", "n": 64}], tmp_path)
    assert not errors
    result = analyses["pce"]["y"]
    error = index_error(result, ISHIGAMI["S1"], ISHIGAMI["ST"])
    assert error <= own_bound(result)
    assert error <= 0.01  # the goal: 0.01 in 60-odd runs
    s13 = result["S2"].sel(input="x1", input_b="x3").item()
    assert s13 == pytest.approx(0.243684, abs=own_bound(result))
    # Closed group {x1, x2}: S1 + S2 (they do not interact); total of {x3}: ST3.
    assert result["S1_group"].sel(group="micro").item() == pytest.approx(
        0.313905 + 0.442411, abs=own_bound(result)
    )
    assert result["ST_group"].sel(group="macro").item() == pytest.approx(
        0.243684, abs=own_bound(result)
    )
    assert result.attrs["solver"] == "omp" and result.attrs["order"] >= 4
    assert result.attrs["terms"] < result.attrs["candidates"]
    assert result["cv_error"].item() < 1e-2  # honest: K-fold of the whole procedure


@pytest.mark.slow
def test_gfunction_auto_degree_at_512_runs(tmp_path):
    study = uniform_study(
        "gfunction",
        "uqscale.testfunctions:gfunction",
        8,
        [{"method": "pce", "order": "auto", "n": 512, "bootstrap": 0, "convergence": False}],
        parameters={"a": G_A},
    )
    result = analyse_in_process(study, tmp_path)[0]["pce"]["y"]
    s1, st = gfunction_exact(G_A)
    error = index_error(result, s1, st)
    assert error <= own_bound(result)
    assert error <= 0.02


@pytest.mark.parametrize(
    "options",
    [
        {"order": "auto", "solver": "lars"},
        {"order": "auto", "cv": "kfold", "folds": 4},
        {"order": 3, "solver": "omp", "q_norm": 0.5},
    ],
)
def test_every_solver_recovers_a_linear_model_exactly(tmp_path, options):
    c = [1.0, 2.0, -3.0]
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        3,
        [{"method": "pce", "n": 40, **options}],
        parameters={"coefficients": c},
    )
    result = analyse_in_process(study, tmp_path)[0]["pce"]["y"]
    exact = np.square(c) / np.sum(np.square(c))
    np.testing.assert_allclose(result["S1"].values, exact, atol=1e-9)
    np.testing.assert_allclose(result["ST"].values, exact, atol=1e-9)
    np.testing.assert_allclose(result["S1_conf"].values, 0.0, atol=1e-9)
    assert result["cv_error"].item() < 1e-12
    assert result.attrs["terms"] == 4  # the constant and three linear terms


def test_a_given_order_without_solver_is_least_squares_on_every_term(tmp_path):
    study = uniform_study(
        "linear",
        "uqscale.testfunctions:linear",
        2,
        [{"method": "pce", "order": 3, "n": 30}],
        parameters={"coefficients": [1.0, 1.0]},
    )
    result = analyse_in_process(study, tmp_path)[0]["pce"]["y"]
    assert result.attrs["solver"] == "ols"
    assert result.attrs["terms"] == result.attrs["candidates"] == 10
    np.testing.assert_allclose(result["cv_error"].item(), 0.0, atol=1e-12)


def field_study(analysis):
    base = uniform_study("ramp", "tests.models.fields:ramp", 2, analysis)
    data = base.to_dict()
    data["models"][0]["outputs"] = [
        {"name": "y", "dims": ["t"], "coords": {"t": TIMES.tolist()}},
        "total",
    ]
    return Study.from_dict(data)


def test_field_points_through_principal_components(tmp_path):
    analysis = {"method": "pce", "order": "auto", "n": 32}
    result = analyse_in_process(field_study([analysis]), tmp_path)[0]["pce"]["y"]
    exact = 1.0 / (1.0 + TIMES**2)
    np.testing.assert_allclose(result["S1"].sel(input="x1").values, exact, atol=1e-9)
    assert result["cv_error"].dims == ("t",)
    assert result["S1_conf"].dims == ("input", "t")
    assert result["S1_by_runs"].dims == ("runs", "input", "t")


def test_convergence_view_on_nested_prefixes(tmp_path):
    result = ishigami([{"method": "pce", "order": "auto", "n": 64, "bootstrap": 0}], tmp_path)[0][
        "pce"
    ]["y"]
    runs = result["runs"].values.tolist()
    assert runs == [8, 16, 32, 64]
    last = result.isel(runs=-1)
    np.testing.assert_array_equal(last["S1_by_runs"].values, result["S1"].values)
    assert last["order_by_runs"].item() == result.attrs["order"]
    errors = np.maximum(
        np.abs(result["S1_by_runs"].values - np.array(ISHIGAMI["S1"])).max(axis=1),
        np.abs(result["ST_by_runs"].values - np.array(ISHIGAMI["ST"])).max(axis=1),
    )
    assert errors[-1] < errors[1] < 1.0
    assert result["cv_error_by_runs"].values[-1] < result["cv_error_by_runs"].values[1]


def test_indices_json_carries_errors_degree_terms_and_intervals(tmp_path):
    analyses, _ = ishigami([{"method": "pce", "order": "auto", "n": 32}], tmp_path)
    entry = indices_document("ishigami", 32, 0, analyses)["outputs"]["y"]["pce"]
    assert {"cv_error", "loo_error", "order", "terms", "S1_conf", "ST_conf", "S2_conf"} <= set(
        entry
    )
    assert set(entry["groups"]) == {"S1", "ST", "S1_conf", "ST_conf"}
    assert "coords" not in entry  # dim "runs" is not a field


def test_failed_samples_are_dropped(tmp_path):
    study = uniform_study(
        "flaky", "tests.models.flaky:vectorized", 2, [{"method": "pce", "order": "auto", "n": 64}]
    )
    result = analyse_in_process(study, tmp_path)[0]["pce"]["y"]
    assert result.attrs["n_failed"] > 0
    np.testing.assert_allclose(result["S1"].values, [0.5, 0.5], atol=1e-9)  # exact: linear


def test_moment_gap_sees_an_expansion_whose_variance_departs_from_the_samples():
    """The triangle-inequality bound: zero for an expansion with the samples' mean and
    standard deviation, ``(sqrt(2) - 1)^2`` (less a standard error) for one with twice
    their variance, and it is what a fit's reported error is raised to."""
    from uqscale.analysis.sparse import moment_gap

    y = np.random.default_rng(3).normal(2.0, 1.5, size=(4000, 1))
    sound = np.array([[y.mean()], [y.std()]])
    doubled = np.array([[y.mean()], [y.std()], [y.std()]])
    assert moment_gap(sound, y)[0] == 0.0
    assert moment_gap(doubled, y)[0] == pytest.approx((np.sqrt(2) - 1) ** 2, abs=0.01)
    shifted = np.array([[y.mean() + y.std()], [y.std()]])
    assert moment_gap(shifted, y)[0] == pytest.approx(1.0, abs=0.05)
    assert moment_gap(sound, np.ones((10, 1)))[0] == 0.0


def test_held_out_residuals_are_raised_to_each_folds_moment_gap():
    """A fold's fit with the training rows' moments keeps its residuals; one with twice
    their variance has its residuals scaled up to its gap; all-zero residuals of a fit
    that still misses the moments become the gap's size."""
    from uqscale.analysis.sparse import FOLD_STANDARD_ERRORS, at_least_gap, moment_gap

    y = np.random.default_rng(5).normal(1.0, 2.0, size=2000)
    residuals = np.full((50, 3), 0.01)
    residuals[:, 2] = 0.0
    sound, doubled = [y.mean(), y.std(), 0.0], [y.mean(), y.std(), y.std()]
    coefficients = np.array([sound, doubled, doubled]).T
    raised = at_least_gap(residuals, coefficients, y)
    np.testing.assert_array_equal(raised[:, 0], residuals[:, 0])
    gap = moment_gap(coefficients[:, 1:2], y[:, None], FOLD_STANDARD_ERRORS)[0] * y.var()
    assert gap > 0.1 * y.var()
    np.testing.assert_allclose((raised[:, 1:] ** 2).mean(axis=0), gap)


def test_omp_reports_the_coefficients_of_every_prefix():
    """Every prefix's coefficients reproduce its held-out residuals."""
    from uqscale.analysis.sparse import _omp_order, _standardised

    rng = np.random.default_rng(0)
    matrix = np.column_stack([np.ones(40), rng.normal(size=(40, 12))])
    y = 2 * matrix[:, 3] + matrix[:, 5] - 0.5 * matrix[:, 7] + 0.1 * rng.normal(size=40)
    x, target, x_held, target_held = _standardised(matrix[:30], y[:30], matrix[30:], y[30:])
    taken, residuals, coefficients = _omp_order(x, target, 10, x_held, target_held)
    assert set(taken[:3]) == {2, 4, 6}
    for j in range(len(taken) + 1):
        predicted = x_held[:, taken[:j]] @ coefficients[:j, j]
        np.testing.assert_allclose(target_held - predicted, residuals[:, j], atol=1e-12)
