"""``assimilation.nc`` (every cycle's ensembles, observations and innovations) and
the ``assimilation`` section of ``indices.json``, from the stored cycles.

The Dataset (format 1, docs/assimilation.md):

- dims ``cycle``, ``member``, ``parameter`` (the updated inputs), ``obs`` (every
  observation row, in time order) and each field output's own dim ``OUT_DIM``;
- ``time(cycle)``; ``parameters_forecast`` and ``parameters_analysis`` (cycle,
  member, parameter); ``forecast_OUT(cycle, member, OUT_DIM)`` for every field output over one dim;
- ``obs_cycle``, ``obs_time``, ``obs_quantity``, ``obs_value``, ``obs_error_sd``
  (obs); ``predicted(member, obs)`` (the forecast members' predictions),
  ``predicted_analysis(member, obs)``, ``innovation(obs)`` and
  ``normalised_innovation(obs)``;
- ``rmse(cycle)``, ``spread(cycle)`` of the analysis ensemble; optional
  ``truth_parameters(parameter)``;
- attrs ``method``, ``members``, ``inflation``, ``spinup``, ``against``,
  ``rmse_mean``, ``spread_mean``, ``update``, ``log_parameters`` (JSON list of the
  inputs updated in log space), ``format``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from uqscale.assimilation.ensemble import log_updated
from uqscale.store import ENGINE, write_netcdf
from uqscale.study.assimilate import Observations
from uqscale.study.model import Study

RESULTS_FILE = "assimilation.nc"
FORMAT = 1
"""The version of the ``assimilation.nc`` shape (variables are only ever added)."""


def write_assimilation(
    directory: Path, study: Study, observations: Observations, cycles: list[xr.Dataset]
) -> xr.Dataset:
    """Assemble ``assimilation.nc`` in ``directory`` from its cycles' analyses.

    Parameters
    ----------
    directory
        The assimilation run's folder, every cycle analysed.
    study
        Its study.
    observations
        Its observations.
    cycles
        Every cycle's analysis (:func:`~uqscale.assimilation.cycles.analyse_cycle`,
        with the forecast fields), in order.

    Returns
    -------
    xarray.Dataset
        What was written.
    """
    block = study.assimilate
    assert block is not None, "only an assimilation study has assimilation results"
    per_cycle = xr.concat(
        [c.drop_vars(["rows", "predicted", "predicted_analysis"]) for c in cycles],
        dim="cycle",
        combine_attrs="drop",
    )
    predicted = np.concatenate([c["predicted"].values for c in cycles], axis=1)
    predicted_analysis = np.concatenate([c["predicted_analysis"].values for c in cycles], axis=1)
    rows = np.concatenate([c["rows"].values for c in cycles])
    cycle_of = np.concatenate([np.full(c.sizes["obs"], k) for k, c in enumerate(cycles)])
    value, error_sd = observations.value[rows], observations.error_sd[rows]
    innovation = value - predicted.mean(axis=0)
    variance = predicted.var(axis=0, ddof=1) + error_sd**2
    data = per_cycle.assign(
        obs_cycle=("obs", cycle_of),
        obs_time=("obs", observations.time[rows]),
        obs_quantity=("obs", observations.quantity[rows].astype(str)),
        obs_value=("obs", value),
        obs_error_sd=("obs", error_sd),
        predicted=(("member", "obs"), predicted),
        predicted_analysis=(("member", "obs"), predicted_analysis),
        innovation=("obs", innovation),
        normalised_innovation=("obs", innovation / np.sqrt(variance)),
    )
    if block.truth:
        truth = [block.truth[n] for n in study.input_names]
        data["truth_parameters"] = ("parameter", np.asarray(truth, dtype=float))
    after = slice(block.spinup, None)
    data.attrs = {
        "method": block.method,
        "members": block.members,
        "inflation": block.inflation,
        "spinup": block.spinup,
        "update": block.update,
        "against": "truth"
        if block.truth or (block.state and block.state.truth)
        else "observations",
        "rmse_mean": float(data["rmse"][after].mean()),
        "spread_mean": float(data["spread"][after].mean()),
        "log_parameters": json.dumps(
            [n for n, logged in zip(study.input_names, log_updated(study), strict=True) if logged]
        ),
        "format": FORMAT,
    }
    write_netcdf(Path(directory) / RESULTS_FILE, data)
    return data


def open_assimilation(directory: str | Path) -> xr.Dataset | None:
    """The ``assimilation.nc`` of a run folder (loaded), or None when it has none."""
    path = Path(directory) / RESULTS_FILE
    if not path.is_file():
        return None
    with xr.open_dataset(path, engine=ENGINE) as data:
        return data.load()


def indices_entry(directory: str | Path) -> dict[str, Any] | None:
    """The ``assimilation`` section of ``indices.json``, from ``assimilation.nc``
    (None when the folder has none).

    Returns
    -------
    dict or None
        ``{"method", "members", "against", "spinup", "cycles": [{"time", "rmse",
        "spread"}, ...], "rmse_mean", "spread_mean"}``.
    """
    data = open_assimilation(directory)
    if data is None:
        return None
    attrs = data.attrs
    return {
        "method": str(attrs["method"]),
        "members": int(attrs["members"]),
        "against": str(attrs["against"]),
        "spinup": int(attrs["spinup"]),
        "cycles": [
            {"time": float(t), "rmse": _finite(r), "spread": _finite(s)}
            for t, r, s in zip(
                data["time"].values, data["rmse"].values, data["spread"].values, strict=True
            )
        ],
        "rmse_mean": _finite(attrs["rmse_mean"]),
        "spread_mean": _finite(attrs["spread_mean"]),
    }


def _finite(value: Any) -> float | None:
    """A number for JSON: None when not finite (as indices.json writes them)."""
    number = float(value)
    return number if np.isfinite(number) else None
