"""The pkpd patient twin (studies/pkpd_twin.yaml): its model's known answers, its
measurements, and a real assimilation run over them in which the parameter ensemble
narrows around the hidden truth.

:func:`twin_filter` is the engine's cycle loop without the run store and Dask: the
same prior members, analysis step (:func:`uqscale.assimilation.cycles.analyse_cycle`,
its filter space and random streams) and ``assimilation.nc`` assembly
(:func:`uqscale.assimilation.results.write_assimilation`), with the model evaluated in
process, so that ``benchmarks/assimilation_pkpd_twin.py`` can score many synthetic
patients quickly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import uqscale
from studies.data import make_pkpd_twin as twin
from studies.models.pkpd import cell_signalling
from studies.models.pkpd_twin import repeated_doses
from uqscale.assimilation.cycles import (
    ANALYSIS_FILE,
    analyse_cycle,
    cycle_folder,
    forecast_fields,
)
from uqscale.assimilation.ensemble import prior_members
from uqscale.assimilation.results import RESULTS_FILE, write_assimilation
from uqscale.store import ENGINE, write_netcdf
from uqscale.study import Analysis, Study, load_study
from uqscale.study.assimilate import Observations

STUDY = Path(twin.STUDY)


def patient_study(truth: Mapping[str, float], seed: int, members: int = 40) -> Study:
    """The twin study for another patient: its truth, the seed of its prior members
    and perturbations, the ensemble size; a small moments analysis."""
    study = load_study(STUDY)
    assert study.assimilate is not None
    block = dataclasses.replace(study.assimilate, truth=dict(truth), members=members)
    return study.replace(assimilate=block, seed=seed, analysis=(Analysis("moments", {"n": 8}),))


def as_observations(rows: list[dict[str, Any]]) -> Observations:
    """Observation rows ``{time, quantity, value, error_sd}`` as the engine reads them."""
    return Observations(
        *(np.array([r[k] for r in rows]) for k in ("time", "quantity", "value", "error_sd"))
    )


def twin_filter(
    study: Study, rows: list[dict[str, Any]], folder: Path, cycles: int | None = None
) -> xr.Dataset:
    """Cycle the study's filter over the measurements ``rows``, the model in process.

    Parameters
    ----------
    study
        A twin study (:func:`patient_study`).
    rows
        Observation rows in time order.
    folder
        Where the cycles' analyses and forecasts are written, as an assimilation run's
        folder holds them.
    cycles
        How many of the observation times to assimilate (all when None).

    Returns
    -------
    xarray.Dataset
        ``assimilation.nc``, as the engine assembles it.
    """
    assert study.assimilate is not None
    data = twin.study_file()
    times = np.unique([r["time"] for r in rows])[:cycles]
    observations = as_observations([r for r in rows if r["time"] in times])
    members = prior_members(study, study.assimilate.members)
    analysed = []
    for cycle in range(len(times)):
        outputs = twin.simulate(data, dict(zip(study.input_names, members.T, strict=True)))
        results = xr.Dataset(
            {k: (("sample", "time"), outputs[k]) for k in ("plasma_conc", "biomarker")}
        )
        analysis = analyse_cycle(study, observations, cycle, members, results)
        analysis = analysis.assign(forecast_fields(study, results))
        analysed.append(analysis)
        cycle_folder(folder, cycle).mkdir(parents=True)
        write_netcdf(cycle_folder(folder, cycle) / "results.nc", results)
        write_netcdf(cycle_folder(folder, cycle) / ANALYSIS_FILE, analysis)
        members = analysis["parameters_analysis"].values
    return write_assimilation(folder, study, observations, analysed)


@pytest.fixture(scope="module")
def study() -> dict[str, Any]:
    """The study file's mapping."""
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


def log_scores(values: np.ndarray) -> np.ndarray:
    """Inputs in the engine's filter space (every twin input is positive: log)."""
    return np.log(values)


@pytest.mark.slow
def test_the_parameter_ensemble_narrows_around_the_truth(tmp_path, client):
    """A real assimilation run of the shipped study: every input's spread shrinks, the
    clearance's (the best measured) by more than half, the truth lies inside the
    final 95 % band of every input, and the last analysis is nearer the truth than
    the first."""
    study = load_study(STUDY).replace(analysis=(Analysis("moments", {"n": 8}),))
    uqscale.run(study, tmp_path / "run", client=client)
    with xr.open_dataset(tmp_path / "run" / RESULTS_FILE, engine=ENGINE) as stored:
        ds = stored.load()
    names = list(study.input_names)
    prior_sd = log_scores(ds["parameters_forecast"].values[0]).std(axis=0)
    final = ds["parameters_analysis"].values[-1]
    shrunk = dict(zip(names, log_scores(final).std(axis=0) / prior_sd, strict=True))
    assert all(v < 1 for v in shrunk.values()), shrunk
    assert shrunk["clearance"] < 0.5, shrunk
    low, high = np.quantile(final, [0.025, 0.975], axis=0)
    assert study.assimilate is not None
    true = np.array([study.assimilate.truth[n] for n in names])
    assert np.all((low <= true) & (true <= high)), (low, true, high)
    assert ds["rmse"].values[-1] < ds["rmse"].values[0]


@pytest.mark.slow
def test_the_in_process_loop_is_the_engine_run(tmp_path, client):
    """:func:`twin_filter` (the benchmark's loop) gives the engine's assimilation.nc
    for the same study, bit for bit, over the first three cycles."""
    truth, rows = twin.true_patient(twin.study_file())
    study = patient_study(truth, seed=4, members=6)
    first = [r for r in rows if r["time"] <= 28]  # three cycles
    (tmp_path / "study").mkdir()
    lines = [
        f"{float(r['time'])!r},{r['quantity']},{r['value']!r},{r['error_sd']!r}" for r in first
    ]
    text = "\n".join(["time,quantity,value,error_sd", *lines]) + "\n"
    (tmp_path / "study" / "two.csv").write_text(text)
    assert study.assimilate is not None
    engine = study.replace(
        assimilate=dataclasses.replace(
            study.assimilate, observations=str(tmp_path / "study" / "two.csv")
        )
    )
    uqscale.run(engine, tmp_path / "run", client=client)
    with xr.open_dataset(tmp_path / "run" / RESULTS_FILE, engine=ENGINE) as stored:
        xr.testing.assert_identical(twin_filter(study, first, tmp_path / "loop"), stored.load())
