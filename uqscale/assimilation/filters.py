"""Ensemble Kalman analysis steps: pure functions of (forecast ensemble, its predicted
observations, the observations, their errors, a random stream).

Shapes: the forecast ensemble ``states`` is ``(N, n)`` (members by state variables),
its predicted observations ``predicted`` are ``(N, m)`` (the model outputs each
observation maps to), observations ``y`` and their error standard deviations
``error_std`` are ``(m,)``; errors are independent. Every function returns the analysis
ensemble ``(N, n)``.

- :func:`enkf`: the stochastic EnKF with perturbed observations (Burgers, van Leeuwen &
  Evensen 1998), optionally with a covariance taper (localisation).
- :func:`etkf`: the ensemble transform Kalman filter, a deterministic square-root filter
  in the symmetric form of Hunt, Kostelich & Szunyogh (2007); :func:`letkf` is its
  local version, one analysis per state variable with the observations near it,
  their precision tapered by distance.

Multiplicative inflation scales the forecast anomalies (states and predicted
observations alike) by ``inflation`` before the update.
"""

from __future__ import annotations

from typing import cast

import numpy as np


def inflate(members: np.ndarray, inflation: float) -> np.ndarray:
    """Scale the anomalies of ``members`` about their mean by ``inflation``.

    Parameters
    ----------
    members
        An ensemble ``(N, k)``.
    inflation
        The factor of the anomalies (1: unchanged).

    Returns
    -------
    numpy.ndarray
        The inflated ensemble ``(N, k)``, with the same mean.

    Examples
    --------
    >>> inflate(np.array([[0.0], [2.0]]), 1.5).ravel().tolist()
    [-0.5, 2.5]
    """
    if inflation == 1.0:  # bit for bit: a variable no observation reaches keeps its value
        return members
    mean = members.mean(axis=0)
    return cast("np.ndarray", mean + inflation * (members - mean))


def gaspari_cohn(distance: np.ndarray, radius: float) -> np.ndarray:
    """The compactly supported fifth-order taper of Gaspari & Cohn (1999, eq. 4.10).

    Parameters
    ----------
    distance
        Distances (any shape; their sign is ignored).
    radius
        The half-width ``c``: the taper is 1 at distance 0 and 0 beyond ``2 c``.

    Returns
    -------
    numpy.ndarray
        The weights, shaped like ``distance``.

    Examples
    --------
    >>> gaspari_cohn(np.array([0.0, 2.0, 3.0]), 1.0).tolist()
    [1.0, 0.0, 0.0]
    """
    r = np.abs(np.asarray(distance, dtype=float)) / radius
    inner = -(r**5) / 4 + r**4 / 2 + 5 * r**3 / 8 - 5 * r**2 / 3 + 1
    with np.errstate(divide="ignore"):
        outer = (
            r**5 / 12
            - r**4 / 2
            + 5 * r**3 / 8
            + 5 * r**2 / 3
            - 5 * r
            + 4
            - 2 / (3 * np.where(r > 0, r, 1.0))
        )
    return np.where(r <= 1, inner, np.where(r < 2, outer, 0.0))


def enkf(
    states: np.ndarray,
    predicted: np.ndarray,
    y: np.ndarray,
    error_std: np.ndarray,
    rng: np.random.Generator,
    inflation: float = 1.0,
    taper: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The stochastic EnKF: every member assimilates the observations plus its own
    draw of their errors.

    Parameters
    ----------
    states, predicted, y, error_std
        Forecast ensemble, its predicted observations, the observations and their
        error standard deviations (shapes in the module docstring).
    rng
        Stream of the observation perturbations.
    inflation
        Multiplicative inflation of the forecast anomalies.
    taper
        Localisation weights ``(state-observation (n, m), observation-observation
        (m, m))`` applied elementwise to the covariances (Houtekamer & Mitchell 2001),
        or None.

    Returns
    -------
    numpy.ndarray
        The analysis ensemble ``(N, n)``.
    """
    states, predicted = inflate(states, inflation), inflate(predicted, inflation)
    members = len(states)
    anomalies = states - states.mean(axis=0)
    predicted_anomalies = predicted - predicted.mean(axis=0)
    cross = anomalies.T @ predicted_anomalies / (members - 1)
    spread = predicted_anomalies.T @ predicted_anomalies / (members - 1)
    if taper is not None:
        cross, spread = cross * taper[0], spread * taper[1]
    gain = np.linalg.solve(spread + np.diag(error_std**2), cross.T).T
    perturbed = y + rng.standard_normal(predicted.shape) * error_std
    return cast("np.ndarray", states + (perturbed - predicted) @ gain.T)


def _transform(
    predicted_anomalies: np.ndarray, innovation: np.ndarray, precision: np.ndarray
) -> np.ndarray:
    """Weights ``(N, N)`` of the ETKF: member ``i`` of the analysis is the forecast
    mean plus ``anomalies.T @ weights[:, i]`` (Hunt et al. 2007, eqs. 20-24)."""
    members = len(predicted_anomalies)
    scaled = predicted_anomalies * precision  # Y R^-1, (N, m)
    values, vectors = np.linalg.eigh(
        (members - 1) * np.eye(members) + scaled @ predicted_anomalies.T
    )
    covariance = (vectors / values) @ vectors.T  # P~a, symmetric
    mean_weights = covariance @ scaled @ innovation
    root = (vectors * np.sqrt((members - 1) / values)) @ vectors.T
    return cast("np.ndarray", mean_weights[:, None] + root)


def etkf(
    states: np.ndarray,
    predicted: np.ndarray,
    y: np.ndarray,
    error_std: np.ndarray,
    rng: np.random.Generator | None = None,
    inflation: float = 1.0,
) -> np.ndarray:
    """The ensemble transform Kalman filter (deterministic: ``rng`` is unused).

    Parameters
    ----------
    states, predicted, y, error_std
        Forecast ensemble, its predicted observations, the observations and their
        error standard deviations (shapes in the module docstring).
    rng
        Unused; accepted so that every filter has one signature.
    inflation
        Multiplicative inflation of the forecast anomalies.

    Returns
    -------
    numpy.ndarray
        The analysis ensemble ``(N, n)``: its mean and covariance are the Kalman
        filter's for a linear observation operator and the ensemble's forecast
        moments.
    """
    del rng
    states, predicted = inflate(states, inflation), inflate(predicted, inflation)
    mean, predicted_mean = states.mean(axis=0), predicted.mean(axis=0)
    weights = _transform(predicted - predicted_mean, y - predicted_mean, error_std**-2)
    return cast("np.ndarray", mean + weights.T @ (states - mean))


def letkf(
    states: np.ndarray,
    predicted: np.ndarray,
    y: np.ndarray,
    error_std: np.ndarray,
    rng: np.random.Generator | None,
    inflation: float,
    taper: np.ndarray,
) -> np.ndarray:
    """The local ETKF (Hunt et al. 2007): each state variable is updated with its own
    transform, from the observations whose tapered weight is positive.

    Parameters
    ----------
    states, predicted, y, error_std
        Forecast ensemble, its predicted observations, the observations and their
        error standard deviations (shapes in the module docstring).
    rng
        Unused; accepted so that every filter has one signature.
    inflation
        Multiplicative inflation of the forecast anomalies.
    taper
        ``(n, m)`` weights of each observation for each state variable (e.g.
        :func:`gaspari_cohn` of their distance); they scale the observations' precision.

    Returns
    -------
    numpy.ndarray
        The analysis ensemble ``(N, n)``.
    """
    del rng
    states, predicted = inflate(states, inflation), inflate(predicted, inflation)
    mean, predicted_mean = states.mean(axis=0), predicted.mean(axis=0)
    anomalies, predicted_anomalies = states - mean, predicted - predicted_mean
    analysis = states.copy()  # a variable without a near observation keeps its forecast
    for i in range(states.shape[1]):
        near = taper[i] > 0
        if not near.any():
            continue
        weights = _transform(
            predicted_anomalies[:, near],
            (y - predicted_mean)[near],
            taper[i, near] * error_std[near] ** -2,
        )
        analysis[:, i] = mean[i] + weights.T @ anomalies[:, i]
    return analysis
