"""Assimilation runs on the run machinery, against the exact answer of a linear-Gaussian
parameter estimation (Bayesian linear regression), and what the run folder keeps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import xarray as xr

import uqscale
from tests.assimilation.line_study import TIMES, TRUTH, observations, write_line_study
from uqscale import api
from uqscale.assimilation.cycles import ANALYSIS_FILE, cycle_folder
from uqscale.assimilation.results import RESULTS_FILE
from uqscale.errors import UqscaleError
from uqscale.store import ENGINE
from uqscale.study import load_study

pytestmark = pytest.mark.slow  # each runs real cycles on Dask: 10-60 s on 2 loaded cores

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "indices.schema.json").read_text()
)


def regression_posterior(mean, cov, rows):
    """The exact posterior of (a, b) given y = a + b t + noise at the rows' times."""
    design = np.array([[1.0, r["time"]] for r in rows])
    precision = np.diag([r["error_sd"] ** -2 for r in rows])
    y = np.array([r["value"] for r in rows])
    posterior_cov = np.linalg.inv(np.linalg.inv(cov) + design.T @ precision @ design)
    posterior_mean = posterior_cov @ (np.linalg.solve(cov, mean) + design.T @ precision @ y)
    return posterior_mean, posterior_cov


def test_etkf_cycles_give_the_exact_posterior_of_a_linear_model(tmp_path, client):
    rows = observations([1.0, 2.0, 3.0, 4.0])
    study = load_study(write_line_study(tmp_path / "study", rows))
    result = uqscale.run(study, tmp_path / "run", client=client)
    data = xr.open_dataset(tmp_path / "run" / RESULTS_FILE, engine=ENGINE).load()

    # The ETKF's analysis is the Kalman filter's for the ensemble's forecast moments:
    # four cycles of it are the regression posterior from the prior ensemble's moments.
    prior = data["parameters_forecast"].values[0]
    mean, cov = regression_posterior(prior.mean(axis=0), np.cov(prior.T), rows)
    final = data["parameters_analysis"].values[-1]
    np.testing.assert_allclose(final.mean(axis=0), mean, rtol=1e-9)
    np.testing.assert_allclose(np.cov(final.T), cov, rtol=1e-8)
    # Each forecast runs the previous analysis, through the model on Dask.
    for k in range(1, 4):
        np.testing.assert_array_equal(
            data["parameters_forecast"].values[k], data["parameters_analysis"].values[k - 1]
        )
    forecast = data["parameters_forecast"].values
    lines = forecast[..., :1] + forecast[..., 1:] * np.asarray(TIMES)
    np.testing.assert_allclose(data["forecast_y"].values, lines, rtol=1e-12)
    # Observation-space diagnostics, as the contract defines them.
    predicted = data["predicted"].values
    expected = np.stack([lines[k, :, k + 1] for k in range(4)], axis=1)  # t = k + 1
    np.testing.assert_allclose(predicted, expected, rtol=1e-12)
    innovation = data["obs_value"].values - predicted.mean(axis=0)
    np.testing.assert_allclose(data["innovation"].values, innovation)
    scale = np.sqrt(predicted.var(axis=0, ddof=1) + data["obs_error_sd"].values ** 2)
    np.testing.assert_allclose(data["normalised_innovation"].values, innovation / scale)
    assert list(data["obs_quantity"].values) == ["height"] * 4
    assert data["time"].values.tolist() == [1.0, 2.0, 3.0, 4.0]
    # indices.json: per-cycle scores against the observations and their means.
    entry = result.indices["assimilation"]
    assert entry["against"] == "observations" and entry["method"] == "etkf"
    assert [c["time"] for c in entry["cycles"]] == [1.0, 2.0, 3.0, 4.0]
    analysis_mean = data["predicted_analysis"].values.mean(axis=0)
    rmse = np.abs(analysis_mean - data["obs_value"].values)  # one observation a cycle
    np.testing.assert_allclose([c["rmse"] for c in entry["cycles"]], rmse)
    assert entry["rmse_mean"] == pytest.approx(rmse.mean())
    assert json.loads((tmp_path / "run" / "indices.json").read_text()) == result.indices
    jsonschema.Draft202012Validator(SCHEMA).validate(result.indices)
    xr.testing.assert_identical(result.assimilation, data)
    result.results.close()
    xr.testing.assert_identical(uqscale.open_run(tmp_path / "run").assimilation, data)


def test_truth_scores_the_parameters_in_log_space_when_positive(tmp_path, client):
    rows = observations([0.0, 2.0, 5.0], error_sd=0.2)
    folder = tmp_path / "study"
    lognormal = {"distribution": "lognormal", "mu": 0.0, "sigma": 0.5}
    path = write_line_study(
        folder, rows, lognormal, method="enkf", members=30, truth=TRUTH, spinup=1
    )
    result = api.run(load_study(path), tmp_path / "run", client=client)
    data = xr.open_dataset(tmp_path / "run" / RESULTS_FILE, engine=ENGINE).load()
    assert json.loads(data.attrs["log_parameters"]) == ["a"]
    assert (data["parameters_analysis"].sel(parameter="a") > 0).all()
    final = data["parameters_analysis"].values[-1]
    filtered = np.column_stack([np.log(final[:, 0]), final[:, 1]])
    truth = np.array([np.log(TRUTH["a"]), TRUTH["b"]])
    rmse = np.sqrt(np.mean((filtered.mean(axis=0) - truth) ** 2))
    entry = result.indices["assimilation"]
    assert entry["against"] == "truth"
    assert entry["cycles"][-1]["rmse"] == pytest.approx(rmse)
    assert entry["rmse_mean"] == pytest.approx(np.mean([c["rmse"] for c in entry["cycles"][1:]]))
    np.testing.assert_array_equal(data["truth_parameters"].values, [TRUTH["a"], TRUTH["b"]])


def test_a_resumed_run_skips_the_analysed_cycles(tmp_path, client):
    study = load_study(write_line_study(tmp_path / "study", method="enkf"))
    api.run(study, tmp_path / "run", client=client)
    stored = cycle_folder(tmp_path / "run", 2) / ANALYSIS_FILE
    before = stored.stat().st_mtime_ns
    (tmp_path / "run" / RESULTS_FILE).unlink()
    resumed = api.resume(tmp_path / "run", client=client)
    assert stored.stat().st_mtime_ns == before  # not analysed again
    assert resumed.indices["assimilation"]["cycles"][2]["time"] == 3.0
    assert (tmp_path / "run" / RESULTS_FILE).is_file()


def test_a_killed_launcher_resumes_mid_sequence_bit_identical(tmp_path, client):
    path = write_line_study(tmp_path / "study", delay=0.5, method="enkf", members=16)
    run_dir = tmp_path / "run"
    killed = subprocess.Popen(
        [sys.executable, "-m", "uqscale.cli", "run", str(path), "--out", str(run_dir), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    second = cycle_folder(run_dir, 1) / ANALYSIS_FILE
    deadline = time.monotonic() + 240
    while not second.is_file():
        assert killed.poll() is None, killed.stderr.read().decode() if killed.stderr else ""
        assert time.monotonic() < deadline, "the run never finished its second cycle"
        time.sleep(0.02)
    os.kill(killed.pid, signal.SIGKILL)  # the launcher, as a node reboot would
    killed.wait()
    os.killpg(killed.pid, signal.SIGKILL)  # and its orphaned Dask workers
    assert not (run_dir / RESULTS_FILE).exists(), "kill the launcher mid-sequence"
    kept = second.stat().st_mtime_ns

    resumed = api.resume(run_dir, client=client)
    reference = api.run(load_study(path), tmp_path / "reference", client=client)
    assert second.stat().st_mtime_ns == kept  # a stored cycle is never analysed again
    assert resumed.indices == reference.indices
    for name in (RESULTS_FILE, *(f"cycles/{k:04d}/{ANALYSIS_FILE}" for k in range(4))):
        with (
            xr.open_dataset(run_dir / name, engine=ENGINE) as got,
            xr.open_dataset(tmp_path / "reference" / name, engine=ENGINE) as want,
        ):
            xr.testing.assert_identical(got.load(), want.load())
            for variable in want.data_vars:  # bit for bit, not within a tolerance
                assert np.array_equal(got[variable].values, want[variable].values), variable


@pytest.mark.parametrize("members", [12, 24])  # below and above fail_fast's 20 samples
def test_failed_forecast_members_stop_with_one_line_and_resume_after_the_fix(
    tmp_path, client, members
):
    broken = tmp_path / "broken"
    broken.touch()
    study = load_study(write_line_study(tmp_path / "study", broken=str(broken), members=members))
    with pytest.raises(UqscaleError) as caught:  # or StoppedEarlyError, its subclass
        api.run(study, tmp_path / "run", client=client)
    message = str(caught.value)
    first = message.splitlines()[0]  # what the command line prints
    assert first.startswith("cycle 0: ") and "solver diverged" in first
    assert f"uqscale resume {tmp_path / 'run'} --retry-failed" in message
    assert list((cycle_folder(tmp_path / "run", 0) / "parts").glob("*.nc"))  # kept
    broken.unlink()
    resumed = api.resume(tmp_path / "run", client=client, retry="failed")
    assert len(resumed.indices["assimilation"]["cycles"]) == 4
