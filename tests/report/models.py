"""Test models for reports: a two-scale chain with a field output, and a wide model."""

import numpy as np

TIMES = np.linspace(0.0, 5.0, 40)
POINTS = np.linspace(0.0, 1.0, 1000)


def cell(k_on, k_off):
    """Receptor occupancy (micro scale): k_on / (k_on + k_off)."""
    k_on, k_off = np.asarray(k_on), np.asarray(k_off)
    return {"occupancy": k_on / (k_on + k_off)}


def tissue(occupancy, diffusivity, depth, t=tuple(TIMES)):
    """Uptake along time u(t) = occupancy (1 - exp(-t D / L^2)) (macro scale, D the
    diffusivity, L the depth), its final value, the flux occupancy D / L and the rate
    D / L^2."""
    occupancy, d, length = (np.asarray(v)[:, None] for v in (occupancy, diffusivity, depth))
    u = occupancy * (1.0 - np.exp(-np.asarray(t)[None, :] * d / length**2))
    return {
        "u": u,
        "u_end": u[:, -1],
        "flux": (occupancy * d / length)[:, 0],
        "rate": (d / length**2)[:, 0],
    }


def wide(**x):
    """Many inputs, importance decaying as 1 / i: y = sum_i x_i / i + x1 x2."""
    names = sorted(x, key=lambda n: int(n[1:]))
    values = np.column_stack([np.asarray(x[n]) for n in names])
    weights = 1.0 / np.arange(1, len(names) + 1)
    return {"y": values @ weights + values[:, 0] * values[:, 1]}


def profile(x1, x2, x3, s=tuple(POINTS)):
    """A field over 1000 points along s whose leading input changes from x1 to x2."""
    x1, x2, x3 = (np.asarray(v)[:, None] for v in (x1, x2, x3))
    s = np.asarray(s)[None, :]
    return {"f": x1 * (1 - s) + x2 * s + 0.3 * x3 * np.sin(6 * s) ** 2}
