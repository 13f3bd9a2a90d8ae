"""The ensemble of an assimilation run: its prior members, the space the filter
updates them in, their random streams and what they predict of the observations.

Inputs whose distribution lives on the positive half-line (``lognormal``,
``loguniform``, ``gamma``) are updated in log space: the filter's Gaussian update
then never makes them negative, and their error is relative.
"""

from __future__ import annotations

import zlib

import numpy as np
import xarray as xr

from uqscale.sampling import block_rng
from uqscale.space import InputSpace
from uqscale.study.assimilate import Observations
from uqscale.study.model import Study

POSITIVE = ("lognormal", "loguniform", "gamma")
"""Distributions whose inputs the filter updates in log space."""
PRIOR_KEY = "assimilate.prior"
CYCLES_KEY = "assimilate.cycles"


def prior_members(study: Study, members: int) -> np.ndarray:
    """``members`` draws ``(N, d)`` of the study's inputs, from the study seed.

    Parameters
    ----------
    study
        The study (its inputs, their dependence and its seed).
    members
        Ensemble size ``N``.

    Returns
    -------
    numpy.ndarray
        The prior ensemble, columns in the order of ``study.input_names``.
    """
    space = InputSpace.of(study)
    unit = block_rng(study.seed, PRIOR_KEY).random((members, space.dimension))
    return space.to_physical(unit)


def cycle_rng(seed: int, cycle: int) -> np.random.Generator:
    """The stream of cycle ``cycle``'s perturbations: the study seed's assimilation
    sequence, spawned by cycle (the same however the run was interrupted).

    Parameters
    ----------
    seed
        The study's seed.
    cycle
        The cycle's index, from 0.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> bool(cycle_rng(1, 3).random() == cycle_rng(1, 3).random())
    True
    >>> bool(cycle_rng(1, 3).random() == cycle_rng(1, 4).random())
    False
    """
    entropy = [seed, zlib.crc32(CYCLES_KEY.encode())]
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(cycle,)))


def log_updated(study: Study) -> np.ndarray:
    """Which inputs (a boolean per input) the filter updates in log space."""
    return np.array([i.distribution in POSITIVE for i in study.inputs], dtype=bool)


def to_filter_space(values: np.ndarray, logged: np.ndarray) -> np.ndarray:
    """Input values ``(N, d)`` in the space the filter updates (log where ``logged``).

    Parameters
    ----------
    values
        Input values, one column per input.
    logged
        A boolean per column (:func:`log_updated`).

    Returns
    -------
    numpy.ndarray
    """
    return np.where(logged, np.log(np.where(logged, values, 1.0)), values)


def from_filter_space(values: np.ndarray, logged: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_filter_space`.

    Parameters
    ----------
    values
        Filter-space values, one column per input.
    logged
        A boolean per column.

    Returns
    -------
    numpy.ndarray
    """
    return np.where(logged, np.exp(np.where(logged, values, 0.0)), values)


def predicted_observations(
    study: Study, results: xr.Dataset, observations: Observations, rows: np.ndarray
) -> np.ndarray:
    """What each member predicts of the observation rows ``rows``: its field output
    read (linearly interpolated) at the observed time.

    Parameters
    ----------
    study
        The study (its ``assimilate`` block and outputs).
    results
        A forecast's results, each output over ``sample`` (one per member) first.
    observations
        The observations.
    rows
        Indices of the rows to predict.

    Returns
    -------
    numpy.ndarray
        ``(N, len(rows))``.
    """
    assert study.assimilate is not None, "only an assimilation study observes"
    specs = {o.name: o for o in study.outputs}
    columns = []
    for row in rows:
        spec = specs[study.assimilate.observed(str(observations.quantity[row])).output]
        coords = np.asarray(spec.coords[spec.dims[0]], dtype=float)
        field = np.asarray(results[spec.name].values, dtype=float)
        columns.append(
            np.array([np.interp(observations.time[row], coords, member) for member in field])
        )
    return np.column_stack(columns)
