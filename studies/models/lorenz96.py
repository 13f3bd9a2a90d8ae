"""Lorenz-96 as a carried state: the step contract of a state study.

The ring ``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F`` of Lorenz (1996),
integrated by :func:`uqscale.testfunctions.lorenz96_advance` (fourth-order Runge-Kutta
steps of 0.05, as in Sakov & Oke 2008). ``step`` follows the contract of
``update: state`` (docs/assimilation.md): it advances one member's state from ``start``
to ``until`` and returns it, keeping nothing between calls.
"""

from __future__ import annotations

import numpy as np

from uqscale.testfunctions import lorenz96_advance


def step(state: np.ndarray, start: float, until: float, forcing: float = 8.0) -> np.ndarray:
    """Advance one Lorenz-96 state from ``start`` to ``until``.

    Parameters
    ----------
    state
        The state ``(n,)`` on the ring at ``start``.
    start, until
        The interval.
    forcing
        The forcing ``F``.

    Returns
    -------
    numpy.ndarray
        The state at ``until``.
    """
    advanced: np.ndarray = lorenz96_advance(
        np.asarray(state, dtype=float), until - start, 0.05, forcing
    )
    return advanced
