"""Analytic benchmark functions with known Sobol indices (see the test suite).

All are vectorised: arguments are arrays of equal length (or scalars) and each
returns a mapping from output name to values, following the model convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def ishigami(
    x1: npt.ArrayLike, x2: npt.ArrayLike, x3: npt.ArrayLike, a: float = 7.0, b: float = 0.1
) -> dict[str, np.ndarray]:
    """Ishigami function ``sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)``, output ``y``.

    Parameters
    ----------
    x1, x2, x3
        The inputs (numbers or arrays), usually uniform on ``[-pi, pi]``.
    a, b
        The function's constants.

    Returns
    -------
    dict
        ``{"y": array}``, of the inputs' broadcast shape.
    """
    x1, x2, x3 = np.asarray(x1), np.asarray(x2), np.asarray(x3)
    return {"y": np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)}


def gfunction(
    a: Sequence[float] = (0, 1, 4.5, 9, 99, 99, 99, 99), **x: npt.ArrayLike
) -> dict[str, np.ndarray]:
    """Sobol' G-function ``prod_i (|4 x_i - 2| + a_i) / (1 + a_i)`` of inputs named
    ``x1 .. xk`` (k = len(a)), output ``y``.

    Parameters
    ----------
    a
        The importance constants (small: an important input).
    **x
        The inputs ``x1 .. xk``, uniform on ``[0, 1]``.

    Returns
    -------
    dict
        ``{"y": array}``, of the inputs' broadcast shape.
    """
    y: np.ndarray | float = 1.0
    for i, ai in enumerate(a, start=1):
        y = y * (np.abs(4.0 * np.asarray(x[f"x{i}"]) - 2.0) + ai) / (1.0 + ai)
    return {"y": np.asarray(y)}


def linear(coefficients: Sequence[float] = (), **x: npt.ArrayLike) -> dict[str, np.ndarray]:
    """Linear model ``sum_i c_i x_i`` of inputs ``x1 .. xk``, output ``y``.

    Parameters
    ----------
    coefficients
        ``c_1 .. c_k``.
    **x
        The inputs ``x1 .. xk``.

    Returns
    -------
    dict
        ``{"y": array}``, of the inputs' broadcast shape.
    """
    return {
        "y": np.asarray(
            sum(c * np.asarray(x[f"x{i}"]) for i, c in enumerate(coefficients, start=1))
        )
    }


def lorenz96_tendency(state: np.ndarray, forcing: float = 8.0) -> np.ndarray:
    """Lorenz-96 tendency ``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F`` on a ring
    (Lorenz 1996), for states ``(..., n)``.

    Parameters
    ----------
    state
        States ``(..., n)`` on the ring.
    forcing
        The forcing ``F``.

    Returns
    -------
    numpy.ndarray
        ``dx/dt``, of the shape of ``state``.
    """
    tendency: np.ndarray = (
        (np.roll(state, -1, axis=-1) - np.roll(state, 2, axis=-1)) * np.roll(state, 1, axis=-1)
        - state
        + forcing
    )
    return tendency


def lorenz96_advance(
    state: np.ndarray, duration: float, dt: float = 0.05, forcing: float = 8.0
) -> np.ndarray:
    """Integrate Lorenz-96 states ``(..., n)`` over ``duration`` by fourth-order
    Runge-Kutta steps of ``dt`` (0.05, as in Sakov & Oke 2008).

    Parameters
    ----------
    state
        States ``(..., n)`` on the ring.
    duration
        Model time to integrate over.
    dt
        The largest step (the steps divide ``duration`` evenly).
    forcing
        The forcing ``F``.

    Returns
    -------
    numpy.ndarray
        The states after ``duration``, of the shape of ``state``.
    """
    steps = max(1, round(duration / dt))
    h = duration / steps
    for _ in range(steps):
        k1 = lorenz96_tendency(state, forcing)
        k2 = lorenz96_tendency(state + h / 2 * k1, forcing)
        k3 = lorenz96_tendency(state + h / 2 * k2, forcing)
        k4 = lorenz96_tendency(state + h * k3, forcing)
        state = state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return state
