"""Assimilation cycles on the run machinery: each cycle's forecast is a run of its own.

A run folder of a study with an ``assimilate:`` block holds ``cycles/NNNN/``, one per
observation time: a run folder (the study without its block and analyses, whose
design is the cycle's forecast members) run by :func:`uqscale.api.resume` on the
launch's Dask client, so its batches are stored as they finish, and, once its
analysis is done, ``cycles/NNNN/analysis.nc`` (written atomically). A relaunch skips
the cycles with an analysis and resumes the first without one: the analysis of
cycle k only depends on the stored forecast and the stream of cycle k
(:func:`~uqscale.assimilation.ensemble.cycle_rng`), so an interrupted run ends
bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from uqscale.assimilation import filters, state
from uqscale.assimilation.ensemble import (
    cycle_rng,
    from_filter_space,
    log_updated,
    predicted_observations,
    prior_members,
    to_filter_space,
)
from uqscale.errors import RunInterruptedError, StoppedEarlyError, UqscaleError
from uqscale.store import ENGINE, RunStore, write_netcdf
from uqscale.study.assimilate import Observations, check_assimilate
from uqscale.study.model import Output, Study

logger = logging.getLogger("uqscale")

CYCLES = "cycles"
ANALYSIS_FILE = "analysis.nc"
Filter = Callable[..., np.ndarray]


def cycle_folder(directory: Path, cycle: int) -> Path:
    """The folder of cycle ``cycle`` of the run in ``directory``.

    Parameters
    ----------
    directory
        The assimilation run's folder.
    cycle
        The cycle's index, from 0.

    Returns
    -------
    pathlib.Path
    """
    return Path(directory) / CYCLES / f"{cycle:04d}"


def forecast_study(study: Study) -> Study:
    """The study a cycle's forecast runs: the model graph alone (no block, no
    analyses, no verification, no report)."""
    return study.replace(assimilate=None, analysis=(), verification=(), output=Output(report=False))


def run_cycles(store: RunStore, study: Study, client: Any, options: Any) -> None:
    """Run every cycle that has no stored analysis, in order, then assemble
    ``assimilation.nc``.

    Parameters
    ----------
    store
        The assimilation run's folder.
    study
        Its study (with an ``assimilate`` block).
    client
        A Dask client; None: the study's cluster, started once for all cycles that
        still need a forecast.
    options
        The launch's :class:`~uqscale.api.RunOptions` (retry policy, batch size).

    Raises
    ------
    RunInterruptedError
        On Ctrl-C: the finished cycles and batches are stored.
    """
    from uqscale.assimilation.results import write_assimilation

    observations = check_assimilate(study)
    assert study.assimilate is not None, "check_assimilate refuses a study without one"
    members = first_members(study)
    analysed = []
    with ExitStack() as cluster:
        for cycle, time in enumerate(observations.times):
            stored = cycle_folder(store.directory, cycle) / ANALYSIS_FILE
            if stored.is_file():
                with xr.open_dataset(stored, engine=ENGINE) as kept:
                    analysis = kept.load()
            else:
                if client is None:
                    client = cluster.enter_context(_open_client(study, store))
                try:
                    analysis = _cycle(store, study, observations, cycle, members, client, options)
                except (KeyboardInterrupt, RunInterruptedError):
                    raise RunInterruptedError(
                        f"interrupted in cycle {cycle} of {len(observations.times)}: the "
                        f"finished cycles are stored in {store.directory}; "
                        f"`uqscale resume {store.directory}` goes on"
                    ) from None
                write_netcdf(stored, analysis)
                logger.info(
                    "cycle %d (time %g): rmse %.4g, spread %.4g",
                    cycle,
                    time,
                    float(analysis["rmse"]),
                    float(analysis["spread"]),
                )
            members = next_members(study, analysis)
            analysed.append(analysis)
    write_assimilation(store.directory, study, observations, analysed)


def first_members(study: Study) -> np.ndarray:
    """The members of the first forecast: the prior inputs (and, with a carried
    state, the initial states after them), ``(N, d [+ n])``."""
    block = study.assimilate
    assert block is not None, "only an assimilation study has members"
    inputs = prior_members(study, block.members)
    if block.state is None:
        return inputs
    return np.hstack([inputs, state.initial_states(study, block.members)])


def next_members(study: Study, analysis: xr.Dataset) -> np.ndarray:
    """The members of the next forecast: a cycle's analysis inputs (and states).

    Parameters
    ----------
    study
        The assimilation study.
    analysis
        A cycle's analysis (:func:`analyse_cycle` or :func:`analyse_state_cycle`).

    Returns
    -------
    numpy.ndarray
        ``(members, inputs [+ state variables])``, the columns of the next forecast's
        design.
    """
    block = study.assimilate
    assert block is not None, "only an assimilation study has members"
    inputs = analysis["parameters_analysis"].values
    if block.state is None:
        return np.asarray(inputs)
    return np.hstack([inputs, analysis[f"analysis_{block.state.output}"].values])


def _open_client(study: Study, store: RunStore) -> Any:
    from uqscale.execute.cluster import open_client

    return open_client(study.execution, study.base_dir, shared_dir=store.directory)


def _cycle(
    store: RunStore,
    study: Study,
    observations: Observations,
    cycle: int,
    members: np.ndarray,
    client: Any,
    options: Any,
) -> xr.Dataset:
    """Forecast from ``members`` (resuming a forecast already begun), then analyse."""
    from uqscale import api

    folder = cycle_folder(store.directory, cycle)
    if not RunStore.holds_run(folder):
        _create_forecast(folder, cycle_study(study, observations, cycle), members, cycle)
    try:
        result = api.resume(
            folder,
            client=client,
            options=api.RunOptions.of(options, report=False, progress=False, force=False),
        )
    except StoppedEarlyError as error:  # its advice resumes the whole run, not the cycle
        message = str(error).replace(str(folder), str(store.directory))
        raise StoppedEarlyError(f"cycle {cycle}: {message}") from None
    if result.failures:
        failure = result.failures[0]
        raise UqscaleError(
            f"cycle {cycle}: {len(result.failures)} of {len(members)} forecast members "
            f"failed (member {failure.sample}, step {failure.step}: {failure.error}: "
            f"{failure.message}); the forecast is stored "
            f"in {folder}: fix the model and `uqscale resume {store.directory} "
            f"--retry-failed`"
        )
    assert study.assimilate is not None, "only an assimilation study has cycles"
    analyse = analyse_cycle if study.assimilate.state is None else analyse_state_cycle
    analysis = analyse(study, observations, cycle, members, result.results)
    return analysis.assign(forecast_fields(study, result.results))


def cycle_study(study: Study, observations: Observations, cycle: int) -> Study:
    """The study of cycle ``cycle``'s forecast: the model graph alone, or, with a
    carried state, the step from the previous cycle's time (or the state's start) to
    this one's (:func:`uqscale.assimilation.state.forecast_study`).

    Parameters
    ----------
    study
        The assimilation study.
    observations
        Its observations (their times are the cycles').
    cycle
        The cycle's index.

    Returns
    -------
    Study
    """
    block = study.assimilate
    assert block is not None, "only an assimilation study has cycles"
    if block.state is None:
        return forecast_study(study)
    times = observations.times
    start = block.state.start if cycle == 0 else float(times[cycle - 1])
    return state.forecast_study(study, start, float(times[cycle]))


def _create_forecast(folder: Path, forecast: Study, members: np.ndarray, cycle: int) -> None:
    """Make the run folder of a cycle's forecast ``forecast``: its design is ``members``
    (a column per input of ``forecast``)."""
    from uqscale.models.codehash import code_hashes
    from uqscale.provenance import provenance
    from uqscale.study.files import study_to_yaml

    text = study_to_yaml(forecast)
    design = xr.Dataset(
        {name: ("sample", members[:, j]) for j, name in enumerate(forecast.input_names)},
        coords={"sample": np.arange(len(members))},
        attrs={"blocks": json.dumps({})},
    )
    record = provenance(text, forecast.seed) | {
        "study_dir": str(forecast.base_dir) if forecast.base_dir else None,
        "code": code_hashes(forecast),
        "assimilation_cycle": cycle,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    RunStore.create(folder, forecast, text, design, record)


def analyse_cycle(
    study: Study,
    observations: Observations,
    cycle: int,
    members: np.ndarray,
    results: xr.Dataset,
) -> xr.Dataset:
    """The analysis of one cycle from its forecast.

    The filter updates the inputs (in the space of
    :func:`~uqscale.assimilation.ensemble.to_filter_space`) together with the
    predicted observations (an augmented state, so the analysis ensemble's predicted
    observations come with it, exactly for a linear observation operator).

    Parameters
    ----------
    study
        The study (its ``assimilate`` block).
    observations
        Every observation; the cycle uses the rows at its time.
    cycle
        The cycle's index.
    members
        The forecast's inputs ``(N, d)``.
    results
        The forecast's results (one sample per member).

    Returns
    -------
    xarray.Dataset
        ``time``, ``parameters_forecast`` and ``parameters_analysis`` (member,
        parameter), ``rows`` (obs), ``predicted`` and ``predicted_analysis``
        (member, obs), ``rmse`` and ``spread`` (of the analysis).
    """
    block = study.assimilate
    assert block is not None, "only an assimilation study has cycles"
    time = observations.times[cycle]
    rows = observations.at(time)
    predicted = predicted_observations(study, results, observations, rows)
    logged = log_updated(study)
    states = np.hstack([to_filter_space(members, logged), predicted])
    update = FILTERS[block.method]
    analysis = update(
        states,
        predicted,
        observations.value[rows],
        observations.error_sd[rows],
        cycle_rng(study.seed, cycle),
        block.inflation,
    )
    width = len(study.input_names)
    inputs, predicted_analysis = analysis[:, :width], analysis[:, width:]
    if block.truth:
        truth = to_filter_space(np.array([[block.truth[n] for n in study.input_names]]), logged)
        rmse, spread = _rmse_spread(inputs, truth[0])
    else:
        rmse, spread = _rmse_spread(predicted_analysis, observations.value[rows])
    member, parameter, obs = ("member", "parameter", "obs")
    return xr.Dataset(
        {
            "time": ((), time),
            "parameters_forecast": ((member, parameter), members),
            "parameters_analysis": ((member, parameter), from_filter_space(inputs, logged)),
            "rows": ((obs,), rows),
            "predicted": ((member, obs), predicted),
            "predicted_analysis": ((member, obs), predicted_analysis),
            "rmse": ((), rmse),
            "spread": ((), spread),
        },
        coords={parameter: list(study.input_names)},
        attrs={"cycle": cycle},
    )


def analyse_state_cycle(
    study: Study,
    observations: Observations,
    cycle: int,
    members: np.ndarray,
    results: xr.Dataset,
) -> xr.Dataset:
    """The analysis of one cycle of a carried state from its forecast.

    The filter updates the forecast states (``update: state``), or the inputs (in the
    space of :func:`~uqscale.assimilation.ensemble.to_filter_space`) and the states
    together (``both``); the observations read the state at their coordinates, a
    linear operator, so the analysis predictions are the analysis states read there.

    Parameters
    ----------
    study
        The study (its ``assimilate`` block, with a state).
    observations
        Every observation; the cycle uses the rows at its time.
    cycle
        The cycle's index.
    members
        The forecast's inputs and initial states ``(N, d + n)``.
    results
        The forecast's results (one sample per member).

    Returns
    -------
    xarray.Dataset
        As :func:`analyse_cycle`'s, with ``analysis_OUT`` (member, ``OUT_DIM``): the
        analysis states (the state output ``OUT``); ``rmse`` and ``spread`` are of the
        states, against the true state when declared, else the observations.
    """
    block = study.assimilate
    assert block is not None and block.state is not None, "a state study"
    time = observations.times[cycle]
    rows = observations.at(time)
    width = len(study.input_names)
    inputs = members[:, :width]
    forecast = np.asarray(results[block.state.output].values, dtype=float)
    predicted = state.predicted_state(study, forecast, observations, rows)
    logged = log_updated(study)
    both = block.update == "both"
    updated = np.hstack([to_filter_space(inputs, logged), forecast]) if both else forecast
    update = state.localised_filter(study, observations, rows, width if both else 0)
    analysis = update(
        updated,
        predicted,
        observations.value[rows],
        observations.error_sd[rows],
        cycle_rng(study.seed, cycle),
        block.inflation,
    )
    states = analysis[:, width:] if both else analysis
    inputs_analysis = from_filter_space(analysis[:, :width], logged) if both else inputs
    predicted_analysis = state.predicted_state(study, states, observations, rows)
    truth = state.read_truth(study, observations)
    if truth is None:
        rmse, spread = _rmse_spread(predicted_analysis, observations.value[rows])
    else:
        rmse, spread = _rmse_spread(states, truth[float(time)])
    spec = state.state_spec(study)
    dim = f"{spec.name}_{spec.dims[0]}"
    member, parameter, obs = ("member", "parameter", "obs")
    return xr.Dataset(
        {
            "time": ((), time),
            "parameters_forecast": ((member, parameter), inputs),
            "parameters_analysis": ((member, parameter), inputs_analysis),
            f"analysis_{spec.name}": ((member, dim), states),
            "rows": ((obs,), rows),
            "predicted": ((member, obs), predicted),
            "predicted_analysis": ((member, obs), predicted_analysis),
            "rmse": ((), rmse),
            "spread": ((), spread),
        },
        coords={parameter: list(study.input_names), dim: list(state.state_coords(study))},
        attrs={"cycle": cycle},
    )


def forecast_fields(study: Study, results: xr.Dataset) -> dict[str, xr.DataArray]:
    """``forecast_OUT(member, OUT_DIM)`` of every field output over one dim ``DIM``:
    its own dim (``time`` names the cycles' times in ``assimilation.nc``), with the
    attribute ``field_dim`` naming ``DIM``.

    Parameters
    ----------
    study
        The study (its outputs).
    results
        A forecast's results, one sample per member.

    Returns
    -------
    dict
        A DataArray by variable name.
    """
    variables = {}
    for spec in (o for o in study.outputs if len(o.dims) == 1):
        dim, values = f"{spec.name}_{spec.dims[0]}", spec.coords.get(spec.dims[0])
        variables[f"forecast_{spec.name}"] = xr.DataArray(
            np.asarray(results[spec.name].values, dtype=float),
            dims=("member", dim),
            coords={dim: list(values)} if values is not None else {},
            attrs={"field_dim": spec.dims[0]},
        )
    return variables


def _letkf(
    states: np.ndarray,
    predicted: np.ndarray,
    y: np.ndarray,
    error_std: np.ndarray,
    rng: np.random.Generator,
    inflation: float,
) -> np.ndarray:
    """LETKF of inputs: they have no position, so every observation is local to each
    (a taper of ones; the result is the ETKF's, variable by variable)."""
    taper = np.ones((states.shape[1], len(y)))
    return filters.letkf(states, predicted, y, error_std, rng, inflation, taper)


FILTERS: dict[str, Filter] = {"enkf": filters.enkf, "etkf": filters.etkf, "letkf": _letkf}
"""The analysis step of each ``assimilate.method``."""


def _rmse_spread(ensemble: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """RMSE of the ensemble mean against ``reference`` and the ensemble spread (root
    mean variance), over the variables (Sakov & Oke 2008)."""
    rmse = float(np.sqrt(np.mean((ensemble.mean(axis=0) - reference) ** 2)))
    spread = float(np.sqrt(np.mean(ensemble.var(axis=0, ddof=1))))
    return rmse, spread
