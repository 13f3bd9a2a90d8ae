"""Field outputs: indices per point, computed for all points at once."""

import numpy as np
import pytest
from SALib.analyze import sobol as salib_sobol

from tests.conftest import analyse_in_process, uniform_study
from tests.models.fields import TIMES
from uqscale.study import Study


def field_study(analysis):
    base = uniform_study("ramp", "tests.models.fields:ramp", 2, analysis)
    data = base.to_dict()
    data["models"][0]["outputs"] = [
        {"name": "y", "dims": ["t"], "coords": {"t": TIMES.tolist()}},
        "total",
    ]
    return Study.from_dict(data)


@pytest.mark.parametrize(
    "analysis", [{"method": "pce", "order": 1, "n": 20}, {"method": "sobol", "n": 4096}]
)
def test_field_indices_follow_the_analytic_curve(tmp_path, analysis):
    result = analyse_in_process(field_study([analysis]), tmp_path)[0][analysis["method"]]
    field = result["y"]
    assert field["S1"].dims == ("input", "t")
    np.testing.assert_allclose(field["t"].values, TIMES)
    exact = 1.0 / (1.0 + TIMES**2)
    tolerance = 1e-10 if analysis["method"] == "pce" else 0.03
    np.testing.assert_allclose(field["S1"].sel(input="x1").values, exact, atol=tolerance)
    np.testing.assert_allclose(field["ST"].sel(input="x2").values, 1 - exact, atol=tolerance)
    assert result["total"]["S1"].dims == ("input",)


def test_indices_json_holds_fields_as_lists_with_coordinates(tmp_path):
    from uqscale.report.indices import indices_document

    analyses, _ = analyse_in_process(
        field_study([{"method": "pce", "order": 1, "n": 20}]), tmp_path
    )
    entry = indices_document("ramp", 20, 0, analyses)["outputs"]["y"]["pce"]
    assert entry["coords"] == {"t": TIMES.tolist()}
    assert len(entry["S1"]["x1"]) == len(TIMES)
    assert entry["S1"]["x1"][0] == pytest.approx(1.0)
    assert entry["groups"]["S1"]["unscaled"] == pytest.approx([1.0] * len(TIMES))


def test_moments_of_a_field(tmp_path):
    result = analyse_in_process(field_study([{"method": "moments", "n": 4000}]), tmp_path)[0]
    mean = result["moments"]["y"]["mean"]
    np.testing.assert_allclose(mean.values, 0.5 + 0.5 * TIMES, atol=0.02)


def test_point_estimates_equal_salib_analyze(tmp_path):
    # The vectorised path calls SALib's own estimator functions: point estimates must be
    # exactly those of SALib.analyze.sobol.analyze on each point.
    study = field_study([{"method": "sobol", "n": 256, "second_order": True}])
    from uqscale.design import build_design

    design = build_design(study)
    x1, x2 = design["x1"].values, design["x2"].values
    ours = analyse_in_process(study, tmp_path)[0]["sobol"]["y"]
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1]] * 2}
    for k, t in enumerate(TIMES):
        theirs = salib_sobol.analyze(problem, x1 + t * x2, calc_second_order=True, seed=1)
        np.testing.assert_allclose(ours["S1"].values[:, k], theirs["S1"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours["ST"].values[:, k], theirs["ST"], rtol=1e-10, atol=1e-12)
        assert ours["S2"].values[0, 1, k] == pytest.approx(theirs["S2"][0, 1], abs=1e-12)
        # Bootstrap draws differ from SALib's; the half-widths agree statistically.
        np.testing.assert_allclose(ours["S1_conf"].values[:, k], theirs["S1_conf"], rtol=0.35)


def test_sobol_on_a_field_longer_than_a_bootstrap_chunk(tmp_path, monkeypatch):
    # The bootstrap runs over chunks of points; an uneven last chunk must not matter.
    from uqscale.analysis import saltelli_bootstrap

    monkeypatch.setattr(saltelli_bootstrap, "BOOTSTRAP_ELEMENTS", 100 * 7)
    result = analyse_in_process(field_study([{"method": "sobol", "n": 64}]), tmp_path)[0]
    field = result["sobol"]["y"]
    assert field["S1_conf"].shape == (2, len(TIMES))
    assert np.isfinite(field["S1_conf"].values).all()
