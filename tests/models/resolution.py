"""Synthetic models with a known dependence on the grid spacing."""

import numpy as np


def converging(x1, x2, dx, order=2.0, c=1.0):
    """y = x1 + x2 + c dx^order: the error of a scheme of formal order ``order``."""
    return {"y": np.asarray(x1) + np.asarray(x2) + c * np.asarray(dx) ** order}


def independent(x1, x2, dx):
    """y = x1 + 2 x2, whatever the spacing: no grey zone."""
    return {"y": np.asarray(x1) + 2 * np.asarray(x2) + 0 * np.asarray(dx)}


def front(x1, x2, dx, width=1.0):
    """A process of size ``width``: converged below it, a jump across it.

    y = x1 + x2 + tanh((ln dx - ln width) * 3) (a step of height 2 in ln dx).
    """
    return {
        "y": np.asarray(x1) + np.asarray(x2) + np.tanh(3 * (np.log(np.asarray(dx)) - np.log(width)))
    }


def converging_field(x1, x2, dx, t=(0.0, 0.5, 1.0, 1.5, 2.0)):
    """u(t) = x1 + x2 + t dx^2 over the points t."""
    base = np.asarray(x1) + np.asarray(x2)
    return {"u": base[:, None] + np.asarray(t)[None, :] * np.asarray(dx)[:, None] ** 2}


def rough(x1, x2, dx):
    """y = sin(8 pi x1) + x2 + dx: far from any degree-2 polynomial in x1."""
    return {"y": np.sin(8 * np.pi * np.asarray(x1)) + np.asarray(x2) + np.asarray(dx)}
