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

from uqscale.assimilation import filters
from uqscale.assimilation.ensemble import (
    cycle_rng,
    from_filter_space,
    log_updated,
    predicted_observations,
    prior_members,
    to_filter_space,
)
from uqscale.errors import RunInterruptedError, UqscaleError
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
    members = prior_members(study, study.assimilate.members)
    with ExitStack() as cluster:
        for cycle, time in enumerate(observations.times):
            stored = cycle_folder(store.directory, cycle) / ANALYSIS_FILE
            if not stored.is_file():
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
            with xr.open_dataset(stored, engine=ENGINE) as analysis:
                members = analysis["parameters_analysis"].values
    write_assimilation(store.directory, study, observations)


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
        _create_forecast(folder, study, members, cycle)
    result = api.resume(
        folder,
        client=client,
        options=api.RunOptions.of(options, report=False, progress=False, force=False),
    )
    if result.failures:
        failure = result.failures[0]
        raise UqscaleError(
            f"cycle {cycle}: {len(result.failures)} of {len(members)} forecast members "
            f"failed (member {failure.sample}: {failure.error}); the forecast is stored "
            f"in {folder}: fix the model and `uqscale resume {store.directory} "
            f"--retry-failed`"
        )
    return analyse_cycle(study, observations, cycle, members, result.results)


def _create_forecast(folder: Path, study: Study, members: np.ndarray, cycle: int) -> None:
    """Make the run folder of a cycle's forecast: its design is ``members``."""
    from uqscale.models.codehash import code_hashes
    from uqscale.provenance import provenance
    from uqscale.study.files import study_to_yaml

    forecast = forecast_study(study)
    text = study_to_yaml(forecast)
    design = xr.Dataset(
        {name: ("sample", members[:, j]) for j, name in enumerate(study.input_names)},
        coords={"sample": np.arange(len(members))},
        attrs={"blocks": json.dumps({})},
    )
    record = provenance(text, study.seed) | {
        "study_dir": str(study.base_dir) if study.base_dir else None,
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
