"""A state carried between cycles (``update: state`` / ``both``) on the run machinery:
a linear-Gaussian state model, whose exact answer is the Kalman filter; localisation on
a ring; a resumed run; the mistakes of the ``state`` block."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from uqscale import api
from uqscale.assimilation.cycles import ANALYSIS_FILE, cycle_folder
from uqscale.assimilation.results import RESULTS_FILE
from uqscale.errors import StudyError
from uqscale.store import ENGINE
from uqscale.study import load_study

MATRIX = [[0.9, 0.2, 0.0], [0.0, 0.8, 0.3], [0.1, 0.0, 0.95]]
MODEL = """
import numpy as np

MATRIX = np.array(MATRIX_LIST)


def linear(state, start, until, gain=1.0):
    for _ in range(round(until - start)):
        state = gain * MATRIX @ state
    return state


def shift(state, start, until):
    return np.asarray(state) + (until - start)
""".replace("MATRIX_LIST", repr(MATRIX))


def write_state_study(
    folder: Path,
    rows: list[tuple[float, float, float]],
    sites: int = 3,
    step: str = "linear",
    inputs: dict | None = None,
    **block: object,
) -> Path:
    """A study of a state ``x`` over ``sites`` sites advanced by ``step`` (``linear``:
    ``x <- gain * MATRIX x`` per unit time; ``shift``: ``x <- x + duration``),
    observed at ``rows`` ``(time, coordinate, value)`` with error 0.5."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "statemodel_uq.py").write_text(MODEL)
    lines = ["time,quantity,coordinate,value,error_sd"]
    lines += [f"{t!r},x,{c!r},{v!r},0.5" for t, c, v in rows]
    (folder / "obs.csv").write_text("\n".join(lines) + "\n")
    inputs = inputs or {"gain": {"distribution": "normal", "mean": 1.0, "std": 1e-12}}
    study = {
        "study": "state_twin",
        "seed": 5,
        "inputs": inputs,
        "models": [
            {
                "name": "advance",
                "python": f"statemodel_uq:{step}",
                "inputs": list(inputs) if step == "linear" else [],
                "outputs": [
                    {"name": "x", "dims": ["site"], "coords": {"site": list(range(sites))}}
                ],
            }
        ],
        "execution": {"cluster": "local", "workers": 2},
        "output": {"report": False},
        "assimilate": {
            "observations": "obs.csv",
            "observe": {"x": "x"},
            "update": "state",
            "method": "etkf",
            "members": 6,
            "state": {"output": "x", "start": 0.0, "initial": {"mean": 1.0, "sd": 0.5}},
        }
        | block,
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


STATE = {"output": "x", "initial": {"mean": 0.0, "sd": 1.0}}
ROWS = [(1.0, 0.0, 0.8), (1.0, 2.0, 1.3), (2.0, 1.0, 0.4), (2.0, 0.0, 0.9), (3.0, 2.0, 0.2)]


def kalman_filter(mean, cov, rows):
    """The Kalman filter of ``x <- MATRIX x`` from the first cycle's forecast moments:
    the analysis mean and covariance of each cycle (``rows`` at unit times)."""
    matrix, out = np.array(MATRIX), []
    for time in sorted({t for t, _, _ in rows}):
        if out:
            mean, cov = matrix @ mean, matrix @ cov @ matrix.T
        now = [(c, v) for t, c, v in rows if t == time]
        h = np.zeros((len(now), len(mean)))
        h[np.arange(len(now)), [int(c) for c, _ in now]] = 1.0
        gain = cov @ h.T @ np.linalg.inv(h @ cov @ h.T + 0.25 * np.eye(len(now)))
        mean = mean + gain @ (np.array([v for _, v in now]) - h @ mean)
        cov = cov - gain @ h @ cov
        out.append((mean, cov))
    return out


def run_state(tmp_path, client, name="run", **options):
    study = load_study(write_state_study(tmp_path / "study", **options))
    result = api.run(study, tmp_path / name, client=client)
    data = xr.open_dataset(tmp_path / name / RESULTS_FILE, engine=ENGINE).load()
    return result, data


@pytest.mark.slow
def test_etkf_on_a_linear_state_model_is_the_kalman_filter(tmp_path, client):
    result, data = run_state(tmp_path, client, rows=ROWS)
    # The ETKF is the Kalman filter of the ensemble's forecast moments, cycle by cycle.
    first = data["forecast_x"].values[0]
    exact = kalman_filter(first.mean(axis=0), np.cov(first.T), ROWS)
    for cycle, (mean, cov) in enumerate(exact):
        members = data["analysis_x"].values[cycle]
        np.testing.assert_allclose(members.mean(axis=0), mean, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.cov(members.T), cov, rtol=1e-8, atol=1e-12)
    # Each forecast is the model run on the previous analysis, through the runner.
    for cycle in (1, 2):
        advanced = data["analysis_x"].values[cycle - 1] @ np.array(MATRIX).T
        np.testing.assert_allclose(data["forecast_x"].values[cycle], advanced, rtol=1e-10)
    # The observations read the state at their coordinate.
    predicted = data["predicted"].values
    np.testing.assert_array_equal(predicted[:, 0], data["forecast_x"].values[0][:, 0])
    np.testing.assert_array_equal(predicted[:, 1], data["forecast_x"].values[0][:, 2])
    assert data.attrs["update"] == "state"
    assert [c["time"] for c in result.indices["assimilation"]["cycles"]] == [1.0, 2.0, 3.0]


@pytest.mark.slow
def test_the_enkf_converges_to_the_kalman_filter_as_the_ensemble_grows(tmp_path, client):
    members = 400
    _, data = run_state(tmp_path, client, rows=ROWS, method="enkf", members=members)
    first = data["forecast_x"].values[0]
    mean, cov = kalman_filter(first.mean(axis=0), np.cov(first.T), ROWS)[-1]
    final = data["analysis_x"].values[-1]
    # Perturbed observations: the mean errs by about sqrt(P / N) (5 standard errors).
    np.testing.assert_array_less(
        np.abs(final.mean(axis=0) - mean), 5 * np.sqrt(np.diag(cov) / members)
    )
    np.testing.assert_allclose(np.cov(final.T), cov, atol=5 * np.max(cov) * np.sqrt(2 / members))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["letkf", "enkf"])
def test_localisation_on_a_ring_reaches_only_the_near_variables(tmp_path, client, method):
    rows = [(1.0, 0.0, 3.0), (1.0, 0.5, 2.0)]
    _, data = run_state(
        tmp_path,
        client,
        rows=rows,
        sites=8,
        step="shift",
        method=method,
        localisation=1.0,
        members=12,
        state={"output": "x", "initial": {"mean": 0.0, "sd": 1.0}, "periodic": True},
    )
    moved = np.abs(data["analysis_x"].values[0] - data["forecast_x"].values[0]).max(axis=0)
    # Gaspari-Cohn of radius 1 vanishes from distance 2 (LETKF: the observations'
    # precision; EnKF: the covariances): sites 3..6 keep their forecast; site 7 is next
    # to site 0 around the ring, site 2 within 2 of the observation at 0.5.
    np.testing.assert_array_equal(moved[3:7], 0.0)
    assert (moved[[0, 1, 2, 7]] > 0).all()


@pytest.mark.slow
def test_a_resumed_state_run_ends_bit_identical(tmp_path, client):
    _, data = run_state(tmp_path, client, rows=ROWS, method="enkf", update="both")
    folder = tmp_path / "run"
    (cycle_folder(folder, 1) / ANALYSIS_FILE).unlink()  # its forecast stays stored
    shutil.rmtree(cycle_folder(folder, 2))
    (folder / RESULTS_FILE).unlink()
    api.resume(folder, client=client)
    resumed = xr.open_dataset(folder / RESULTS_FILE, engine=ENGINE).load()
    xr.testing.assert_identical(resumed, data)
    # update: both moves the inputs too.
    assert not np.array_equal(
        data["parameters_analysis"].values[0], data["parameters_forecast"].values[0]
    )


@pytest.mark.parametrize(
    ("rows", "block", "field", "message"),
    [
        (ROWS, {"state": {"output": "y", "initial": {"mean": 0, "sd": 1}}}, "state.output", ""),
        (ROWS, {"state": {"output": "x", "initial": {"mean": 0, "sd": 0}}}, "state.initial.sd", ""),
        ([(1.0, 5.0, 0.1)], {}, "observations", "coordinate 5 is outside the model's range"),
        (ROWS, {"state": STATE | {"truth": "none.csv"}}, "state.truth", "no such file"),
        (ROWS, {"state": STATE | {"truth": "obs.csv"}}, "state.truth", "lacks the state at"),
        ([(0.0, 1.0, 0.1)], {}, "observations", "not after the state's start 0"),
        (ROWS, {"update": "inputs", "localisation": 1.0}, "localisation", "spatial state"),
    ],
)
def test_a_mistake_in_the_state_is_one_error_naming_its_field(
    tmp_path, rows, block, field, message
):
    path = write_state_study(tmp_path, rows, **block)
    if block.get("update") == "inputs":
        text = yaml.safe_load(path.read_text())
        del text["assimilate"]["state"]
        path.write_text(yaml.safe_dump(text))
    with pytest.raises(StudyError) as caught:
        load_study(path)
    assert str(caught.value).startswith(f"assimilate.{field}: ")
    assert message in str(caught.value)
