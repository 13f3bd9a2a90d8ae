"""Grey-zone measures on synthetic models with known answers."""

import numpy as np
import pytest

from tests.conftest import analyse_in_process
from uqscale.study import Study


def sweep_study(python, values, analysis=None, **resolution):
    uniform = {"distribution": "uniform", "low": 0.0, "high": 1.0}
    return Study.from_dict(
        {
            "study": "sweep",
            "seed": 5,
            "inputs": {"x1": {**uniform, "scale": "micro"}, "x2": {**uniform, "scale": "macro"}},
            "models": [
                {
                    "name": "m",
                    "python": python,
                    "inputs": ["x1", "x2"],
                    "outputs": ["y"],
                    "parameters": {"dx": 1.0},
                    "vectorized": True,
                }
            ],
            "analysis": analysis or [{"method": "pce", "order": 2, "n": 40}],
            "resolution": {"parameter": "dx", "values": values, **resolution},
        }
    )


def test_observed_order_equals_the_formal_order(tmp_path):
    # mean(dx) = 1 + dx^2: Richardson's order is exactly 2 on a geometric sweep.
    study = sweep_study(
        "tests.models.resolution:converging",
        {"min": 0.01, "max": 0.16, "number": 5},
        formal_order=2,
    )
    analyses, errors = analyse_in_process(study, tmp_path)
    assert not errors
    zone = analyses["greyzone"]["y"]
    np.testing.assert_allclose(zone["observed_order"].values[1:-1], 2.0, rtol=1e-6)
    assert np.isnan(zone["observed_order"].values[[0, -1]]).all()
    assert zone.attrs["asymptotic_range"] == pytest.approx([0.02, 0.08])
    # The indices gain a resolution dim; the physical indices do not change with dx.
    pce = analyses["pce"]["y"]
    assert pce["S1"].dims == ("resolution", "input")
    np.testing.assert_allclose(pce["S1"].values, 0.5, atol=1e-9)


def test_no_resolution_dependence_gives_no_grey_zone(tmp_path):
    study = sweep_study("tests.models.resolution:independent", [0.1, 0.2, 0.4, 0.8])
    analyses, _ = analyse_in_process(study, tmp_path)
    zone = analyses["greyzone"]["y"]
    np.testing.assert_allclose(zone["sensitivity"].values, 0.0, atol=1e-9)
    assert zone.attrs["grey_zone"] == []
    with_res = zone["ST_with_resolution"]
    assert with_res.sel(factor="resolution").item() == pytest.approx(0.0, abs=1e-12)
    # y = x1 + 2 x2: S = 1/5, 4/5 (exact for a degree-2 expansion).
    np.testing.assert_allclose(
        zone["S1_with_resolution"].sel(factor=["x1", "x2"]).values, [0.2, 0.8], atol=1e-9
    )


def test_a_process_of_the_grid_size_is_found_in_the_grey_zone(tmp_path):
    # y = x1 + x2 + tanh(3 ln(dx / w)), w = 1: mean(dx) = 1 + tanh(3 ln dx), std =
    # 1/sqrt(6) at every dx (exact for a degree-2 expansion). RS is the finite-
    # difference slope of the mean on the log grid over that std.
    study = sweep_study(
        "tests.models.resolution:front",
        {"min": 0.05, "max": 20.0, "number": 13},
        process_scale="x2",
    )
    analyses, _ = analyse_in_process(study, tmp_path)
    zone = analyses["greyzone"]["y"]
    dx = np.geomspace(0.05, 20.0, 13)
    expected = np.abs(np.gradient(np.tanh(3 * np.log(dx)), np.log(dx))) * np.sqrt(6)
    np.testing.assert_allclose(zone["sensitivity"].values, expected, rtol=1e-6)
    flagged = dx[expected > 1]
    assert zone.attrs["grey_zone"] == pytest.approx([flagged.min(), flagged.max()])
    assert flagged.min() < 1.0 < flagged.max() and len(flagged) < len(dx) // 2
    # dx / process scale uses the median of x2 (0.5).
    np.testing.assert_allclose(zone["dx_over_scale"].values, zone["resolution"].values / 0.5)
    # Treated as a factor log-uniform over the sweep, the spacing dominates the variance.
    st = zone["ST_with_resolution"]
    assert st.sel(factor="resolution").item() > st.sel(factor="x1").item()


def test_indices_json_has_the_greyzone_entry(tmp_path):
    from uqscale.report.indices import indices_document

    study = sweep_study("tests.models.resolution:converging", [0.01, 0.02, 0.04], formal_order=2)
    analyses, _ = analyse_in_process(study, tmp_path)
    entry = indices_document("sweep", 120, 0, analyses)["outputs"]["y"]
    zone = entry["greyzone"]
    assert zone["dx"] == [0.01, 0.02, 0.04]
    assert set(zone["with_resolution"]["ST"]) == {"x1", "x2", "resolution"}
    assert zone["observed_order"][1] == pytest.approx(2.0)
    assert entry["pce"]["coords"] == {"resolution": [0.01, 0.02, 0.04]}


def test_measures_read_from_an_unreliable_expansion_say_so(tmp_path):
    from uqscale.report.indices import indices_document

    rough = sweep_study("tests.models.resolution:rough", [0.1, 0.2, 0.4])
    analyses, _ = analyse_in_process(rough, tmp_path / "rough")
    assert not analyses["pce"]["y"]["reliable"].values.any()
    zone = analyses["greyzone"]["y"]
    assert not zone["source_reliable"].values.any()
    entry = indices_document("sweep", 120, 0, analyses)["outputs"]["y"]["greyzone"]
    assert entry["reliable"] is False
    assert "dx = 0.1, 0.2, 0.4" in entry["reliability"] and "3 of 3" in entry["reliability"]
    # The report says so where the grey zone is shown.
    from tests.report.runs import make_run

    report = (make_run(rough, tmp_path / "run") / "report.html").read_text(encoding="utf-8")
    assert "The grey-zone measures of y are NOT RELIABLE: the pce analysis" in report
    # An expansion that is exact keeps the measures reliable, and says nothing more.
    exact = sweep_study("tests.models.resolution:independent", [0.1, 0.2, 0.4])
    analyses, _ = analyse_in_process(exact, tmp_path / "exact")
    entry = indices_document("sweep", 120, 0, analyses)["outputs"]["y"]["greyzone"]
    assert entry["reliable"] is True and "reliability" not in entry


def test_a_sweep_runs_on_dask_with_sobol_as_the_source(tmp_path, client):
    import uqscale

    study = sweep_study(
        "tests.models.resolution:converging",
        [0.1, 0.2, 0.4],
        analysis=[{"method": "sobol", "n": 256}],
    )
    result = uqscale.run(study, tmp_path / "run", client=client)
    size = result.design.sizes["sample"] // 3
    np.testing.assert_array_equal(result.design["dx"].values[[0, size, 2 * size]], [0.1, 0.2, 0.4])
    # Paired samples: the same physical inputs at every spacing.
    x1 = result.design["x1"].values.reshape(3, size)
    assert (x1 == x1[0]).all()
    y = result.results["y"].values.reshape(3, size)
    np.testing.assert_allclose(y[2] - y[0], 0.4**2 - 0.1**2)
    zone = result.indices["outputs"]["y"]["greyzone"]
    assert zone["mean"][2] - zone["mean"][0] == pytest.approx(0.4**2 - 0.1**2)


def test_field_outputs_get_measures_per_point(tmp_path):
    from tests.models.fields import TIMES

    study = sweep_study(
        "tests.models.resolution:converging_field", [0.1, 0.2, 0.4, 0.8], formal_order=2
    )
    data = study.to_dict()
    data["models"][0]["outputs"] = [{"name": "u", "dims": ["t"], "coords": {"t": TIMES.tolist()}}]
    analyses, errors = analyse_in_process(Study.from_dict(data), tmp_path)
    assert not errors
    zone = analyses["greyzone"]["u"]
    assert zone["sensitivity"].dims == ("resolution", "t")
    # u(t) = x1 + x2 + t dx^2: the point t = 0 does not depend on dx at all.
    np.testing.assert_allclose(zone["sensitivity"].sel(t=0.0).values, 0.0, atol=1e-9)
    np.testing.assert_allclose(
        zone["observed_order"].isel(resolution=[1, 2]).sel(t=2.0), 2.0, rtol=1e-6
    )
