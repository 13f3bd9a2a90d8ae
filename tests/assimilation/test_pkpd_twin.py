"""The pkpd patient twin (studies/pkpd_twin.yaml): its model's known answers, its
measurements, and a real filter loop over them in which the parameter ensemble narrows
around the hidden truth.

:func:`twin_filter` cycles the ETKF of :mod:`uqscale.assimilation.filters` over the
study's measurements and returns the ``assimilation.nc`` Dataset of the run-folder
contract (docs/assimilation.md); the report tests and
``benchmarks/assimilation_pkpd_twin.py`` use it too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
import xarray as xr
from scipy.stats import norm

from studies.data import make_pkpd_twin as twin
from studies.models.pkpd import cell_signalling
from studies.models.pkpd_twin import repeated_doses
from uqscale.assimilation.filters import etkf
from uqscale.distributions import build

Update = Callable[..., np.ndarray]


def normal_scores(study: Mapping[str, Any], values: np.ndarray) -> np.ndarray:
    """Inputs ``(N, P)`` (the study's input order) as standard normal scores
    ``Phi^-1(F(x))`` of their priors: the filter updates these, where the prior is
    Gaussian and every score maps back inside the input's support."""
    laws = [build(e["distribution"], e) for e in study["inputs"].values()]
    return np.column_stack([norm.ppf(law.fwd(values[:, k])) for k, law in enumerate(laws)])


def from_scores(study: Mapping[str, Any], scores: np.ndarray) -> np.ndarray:
    """The inverse of :func:`normal_scores`."""
    laws = [build(e["distribution"], e) for e in study["inputs"].values()]
    return np.column_stack(
        [np.asarray(law.inv(norm.cdf(scores[:, k])), dtype=float) for k, law in enumerate(laws)]
    )


def twin_filter(
    study: Mapping[str, Any],
    rows: list[dict[str, Any]],
    truth: Mapping[str, float],
    members: int = 40,
    seed: int = 0,
    cycles: int | None = None,
    update: Update = etkf,
    inflation: float = 1.0,
) -> xr.Dataset:
    """Cycle an ensemble filter over the measurements ``rows``, updating the inputs.

    Parameters
    ----------
    study
        The study file's mapping (inputs, model parameters).
    rows
        Observation rows ``{time, quantity, value, error_sd}`` in time order.
    truth
        The true inputs (RMSE and spread are against them, in normal scores).
    members, seed, cycles
        Ensemble size, seed of the prior draw and the perturbations, and how many of
        the observation times to assimilate (all when None).
    update, inflation
        The analysis step and its multiplicative inflation.

    Returns
    -------
    xarray.Dataset
        The contents of ``assimilation.nc`` (the run-folder contract).
    """
    names = list(study["inputs"])
    streams = np.random.SeedSequence(seed).spawn(2)
    prior = twin.prior_draw(study, np.random.default_rng(streams[0]), members)
    params = np.column_stack([prior[n] for n in names])
    times = np.unique([r["time"] for r in rows])[:cycles]
    used = [r for r in rows if r["time"] in times]
    grid = twin.field_times(study)
    stored: dict[str, list[np.ndarray]] = {}
    rngs = [np.random.default_rng(s) for s in streams[1].spawn(len(times))]
    for time, rng in zip(times, rngs, strict=True):
        outputs = twin.simulate(study, dict(zip(names, params.T, strict=True)))
        here = [r for r in used if r["time"] == time]
        at = int(np.flatnonzero(np.isclose(grid, time))[0])
        predicted = np.column_stack([outputs[twin.QUANTITIES[r["quantity"]]][:, at] for r in here])
        y, sd = (np.array([r[key] for r in here]) for key in ("value", "error_sd"))
        scores = update(normal_scores(study, params), predicted, y, sd, rng, inflation)
        for key, value in (
            ("parameters_forecast", params),
            ("forecast_plasma_conc", outputs["plasma_conc"]),
            ("forecast_biomarker", outputs["biomarker"]),
            ("predicted", predicted),
        ):
            stored.setdefault(key, []).append(value)
        params = from_scores(study, scores)
        stored.setdefault("parameters_analysis", []).append(params)
        stored.setdefault("scores", []).append(scores)
    return _contract(study, used, times, stored, truth, inflation, update.__name__)


def _contract(
    study: Mapping[str, Any],
    used: list[dict[str, Any]],
    times: np.ndarray,
    stored: dict[str, list[np.ndarray]],
    truth: Mapping[str, float],
    inflation: float,
    method: str,
) -> xr.Dataset:
    """The filter loop's arrays as the ``assimilation.nc`` Dataset."""
    names = list(study["inputs"])
    predicted = np.concatenate(stored["predicted"], axis=1)
    value, sd = (np.array([r[key] for r in used]) for key in ("value", "error_sd"))
    innovation = value - predicted.mean(axis=0)
    scores = np.stack(stored["scores"])
    true_scores = normal_scores(study, np.array([[truth[n] for n in names]]))[0]
    rmse = np.sqrt(((scores.mean(axis=1) - true_scores) ** 2).mean(axis=1))
    spread = np.sqrt(scores.var(axis=1, ddof=1).mean(axis=1))
    spinup = 2
    ds = xr.Dataset(
        {
            "time": ("cycle", times),
            "parameters_forecast": (
                ("cycle", "member", "parameter"),
                stored["parameters_forecast"],
            ),
            "parameters_analysis": (
                ("cycle", "member", "parameter"),
                stored["parameters_analysis"],
            ),
            "forecast_plasma_conc": (("cycle", "member", "time"), stored["forecast_plasma_conc"]),
            "forecast_biomarker": (("cycle", "member", "time"), stored["forecast_biomarker"]),
            "obs_cycle": ("obs", np.searchsorted(times, [r["time"] for r in used])),
            "obs_time": ("obs", np.array([r["time"] for r in used])),
            "obs_quantity": ("obs", np.array([r["quantity"] for r in used])),
            "obs_value": ("obs", value),
            "obs_error_sd": ("obs", sd),
            "predicted": (("member", "obs"), predicted),
            "innovation": ("obs", innovation),
            "normalised_innovation": (
                "obs",
                innovation / np.sqrt(predicted.var(axis=0, ddof=1) + sd**2),
            ),
            "rmse": ("cycle", rmse),
            "spread": ("cycle", spread),
            "truth_parameters": ("parameter", [truth[n] for n in names]),
        },
        coords={"parameter": names},
        attrs={
            "method": method,
            "members": scores.shape[1],
            "inflation": inflation,
            "spinup": spinup,
            "against": "truth",
            "rmse_mean": float(rmse[spinup:].mean()),
            "spread_mean": float(spread[spinup:].mean()),
            "format": 1,
        },
    )
    return ds


@pytest.fixture(scope="module")
def study() -> dict[str, Any]:
    return twin.study_file()


def test_the_repeated_doses_superpose_one_compartment_boluses():
    times = np.arange(0.0, 97.0, 2.0)
    cell = cell_signalling(10.0, 1.5, 0.6)
    out = repeated_doses(
        cell["k_off"], cell["transducer_k"], cell["transit_rate"], 5.0, 10.0, 0.0, rtol=1e-10
    )
    exact = sum(200.0 * np.exp(-0.5 * (times - t)) * (times >= t) for t in (0, 24, 48, 72))
    np.testing.assert_allclose(out["plasma_conc"], exact, rtol=1e-6)
    assert out["mass_error"] < 1e-12


def test_the_shipped_measurements_are_those_of_the_declared_truth(study):
    """The generator, rerun with its seed, writes the shipped file's rows from the
    truth the study declares."""
    drawn, rows = twin.true_patient(study)
    assert drawn == study["assimilate"]["truth"]
    shipped = np.genfromtxt(twin.OBSERVATIONS, delimiter=",", names=True, dtype=None)
    assert [r["quantity"] for r in rows] == [str(q) for q in shipped["quantity"]]
    np.testing.assert_allclose([r["value"] for r in rows], shipped["value"], rtol=1e-5)
    assert set(shipped["time"]) == set(twin.observation_times(study))


@pytest.mark.slow
def test_the_parameter_ensemble_narrows_around_the_truth(study):
    """A real filter loop over the shipped measurements: the spread of every
    input shrinks, the clearance's (the best measured) by more than half, and
    the truth lies inside the final 95 % band of every input."""
    truth, rows = twin.true_patient(study)
    ds = twin_filter(study, rows, truth, members=40, seed=3)
    names = list(study["inputs"])
    prior_sd = normal_scores(study, ds["parameters_forecast"].values[0]).std(axis=0)
    final = normal_scores(study, ds["parameters_analysis"].values[-1])
    assert np.all(final.std(axis=0) < prior_sd)
    shrunk = dict(zip(names, final.std(axis=0) / prior_sd, strict=True))
    assert shrunk["clearance"] < 0.5, shrunk
    low, high = np.quantile(ds["parameters_analysis"].values[-1], [0.025, 0.975], axis=0)
    true = np.array([truth[n] for n in names])
    assert np.all((low <= true) & (true <= high)), (low, true, high)
    assert ds["rmse"].values[-1] < ds["rmse"].values[0]
