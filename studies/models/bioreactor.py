"""Oxygen in a perfused tissue construct: cell-scale uptake (micro) feeding a
tissue-scale convection-diffusion-reaction problem (macro).

Micro step (:func:`cell_uptake`): each cell takes up oxygen by Michaelis-Menten
kinetics, ``q = q_max c / (K_m + c)``; at ``cell_density`` cells per volume the
volumetric uptake is ``R(c) = V_max c / (K_m + c)``, ``V_max = q_max cell_density``,
and ``k_1 = V_max / K_m`` is its first-order rate constant at low oxygen.

Macro steps: a slab of thickness ``L`` under medium at ``c_s`` (``x = L``), perfused
from the medium through the slab at interstitial velocity ``u`` and leaving through a
porous base (``x = 0``), where Danckwerts' outflow condition holds: no diffusive
flux (``dc/dx = 0``), the perfusate carrying its oxygen out by convection. Steady
state, in ``xi = x / L`` and ``theta = c / c_s``::

    theta'' + Pe theta' - Da theta / (kappa + theta) = 0,
    theta(1) = 1,  theta'(0) = 0,

with Peclet number ``Pe = u L / D``, Damkohler number ``Da = V_max L^2 / (D c_s)`` and
``kappa = K_m / c_s``. These three groups are the problem's Buckingham-Pi reduction:
six dimensional inputs enter only through them. :func:`dimensionless_groups` forms
them and :func:`tissue_oxygen` solves the problem from the groups alone. With
``kinetics: first_order`` the uptake is ``k_1 c`` (the Thiele problem: without flow
``theta = cosh(phi xi) / cosh(phi)``, ``phi^2 = Da / kappa``, effectiveness
``tanh(phi) / phi``).

Second-order central differences on ``nx`` cells, Newton's method with a tridiagonal
Jacobian solved by the Thomas algorithm, vectorised over the batch. Each sample
stops iterating once its own update is below ``tol``, so its result does not depend
on the batch it is in.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray
PROFILE_POINTS = 21
"""The ``oxygen`` field is given at xi = 0, 0.05, ..., 1."""


def cell_uptake(q_max: Array, km: Array, cell_density: Array) -> dict[str, Array]:
    """Volumetric Michaelis-Menten uptake of the cells.

    Parameters
    ----------
    q_max
        Maximal uptake of one cell, mol/(cell s).
    km
        Michaelis constant, mol/m^3.
    cell_density
        Cells per m^3.

    Returns
    -------
    dict
        ``v_max`` (mol/(m^3 s)) and ``k_first`` (``v_max / km``, 1/s).
    """
    q_max, km, density = (np.asarray(a, dtype=float) for a in (q_max, km, cell_density))
    v_max = q_max * density
    return {"v_max": v_max, "k_first": v_max / km}


def _thomas(lower: Array, diag: Array, upper: Array, rhs: Array) -> Array:
    """Solve tridiagonal systems, one per row of the ``(batch, n)`` arrays
    (``lower[:, 0]`` and ``upper[:, -1]`` are unused)."""
    n = diag.shape[1]
    c, d = np.empty_like(diag), np.empty_like(diag)
    c[:, 0], d[:, 0] = upper[:, 0] / diag[:, 0], rhs[:, 0] / diag[:, 0]
    for i in range(1, n):
        denominator = diag[:, i] - lower[:, i] * c[:, i - 1]
        c[:, i] = upper[:, i] / denominator
        d[:, i] = (rhs[:, i] - lower[:, i] * d[:, i - 1]) / denominator
    x = np.empty_like(diag)
    x[:, -1] = d[:, -1]
    for i in range(n - 2, -1, -1):
        x[:, i] = d[:, i] - c[:, i] * x[:, i + 1]
    return x


def _uptake(theta: Array, kappa: Array, first_order: bool) -> tuple[Array, Array]:
    """Normalised uptake ``theta / (kappa + theta)`` (or ``theta / kappa``) and its
    derivative. Below 0 Michaelis-Menten is continued by its tangent ``theta / kappa``:
    the uptake stays concave and increasing, so Newton's method converges from any
    start (a clipped uptake, flat below 0, would make it cycle)."""
    if first_order:
        return theta / kappa, np.broadcast_to(1.0 / kappa, theta.shape)
    positive = np.maximum(theta, 0.0)
    linear = theta < 0
    value = np.where(linear, theta / kappa, positive / (kappa + positive))
    return value, np.where(linear, 1.0 / kappa, kappa / (kappa + positive) ** 2)


def solve_profile(
    da: Array,
    kappa: Array,
    pe: Array,
    nx: int,
    first_order: bool = False,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> Array:
    """``theta`` on the nodes ``xi = 0, 1/nx, ..., 1``, shape ``(batch, nx + 1)``.

    Parameters
    ----------
    da, kappa, pe
        Damkohler number, ``K_m / c_s`` and Peclet number, one per sample.
    nx
        Cells of the grid.
    first_order
        Uptake ``Da theta / kappa`` instead of Michaelis-Menten.
    tol, max_iter
        Newton stops for a sample when its largest update is below ``tol``.

    Raises
    ------
    RuntimeError
        If Newton's method has not converged for some sample after ``max_iter``.
    """
    da, kappa, pe = (np.asarray(a, dtype=float)[:, None] for a in (da, kappa, pe))
    h = 1.0 / nx
    # Unknowns theta_0 .. theta_{nx-1}; theta_nx = 1. Row i reads
    # (theta_{i-1} - 2 theta_i + theta_{i+1}) / h^2 + Pe (theta_{i+1} - theta_{i-1}) / 2h
    # - uptake(theta_i) = 0, and at the base the ghost node theta_{-1} = theta_1.
    lower = np.broadcast_to(1.0 / h**2 - pe / (2 * h), (len(da), nx)).copy()
    upper = np.broadcast_to(1.0 / h**2 + pe / (2 * h), (len(da), nx)).copy()
    upper[:, 0] = 2.0 / h**2
    lower[:, 0] = 0.0
    theta = np.ones((len(da), nx))
    active = np.ones(len(da), dtype=bool)
    for _ in range(max_iter):
        t, lo, up = theta[active], lower[active], upper[active]
        d, k = da[active], kappa[active]
        uptake, slope = _uptake(t, k, first_order)
        uptake, slope = d * uptake, d * slope
        neighbours = up * np.concatenate([t[:, 1:], np.ones((len(t), 1))], axis=1)
        neighbours[:, 1:] += lo[:, 1:] * t[:, :-1]
        residual = neighbours - 2.0 / h**2 * t - uptake
        step = _thomas(lo, -2.0 / h**2 - slope, up, -residual)
        theta[active] = t + step
        done = np.abs(step).max(axis=1) < tol
        active[np.flatnonzero(active)[done]] = False
        if not active.any():
            return np.concatenate([theta, np.ones((len(theta), 1))], axis=1)
    raise RuntimeError(
        f"Newton's method did not converge in {max_iter} iterations for "
        f"{int(active.sum())} sample(s)"
    )


def _trapezoid(values: Array, h: float) -> Array:
    return h * (values.sum(axis=1) - 0.5 * (values[:, 0] + values[:, -1]))


def _fraction_below(theta: Array, level: float) -> Array:
    """Share of the depth where ``theta < level``, with the profile linear between
    nodes (so it varies continuously with the inputs)."""
    a, b = theta[:, :-1], theta[:, 1:]
    low, high = np.minimum(a, b), np.maximum(a, b)
    span = np.where(high > low, high - low, 1.0)
    part = np.where(high <= level, 1.0, np.where(low >= level, 0.0, (level - low) / span))
    return part.mean(axis=1)


def dimensionless_groups(
    v_max: Array,
    km: Array,
    diffusivity: Array,
    thickness: Array,
    velocity: Array,
    c_surface: float = 0.2,
) -> dict[str, Array]:
    """The Damkohler and Peclet numbers, ``kappa`` and the Thiele modulus.

    Parameters
    ----------
    v_max, km
        Volumetric maximal uptake (mol/(m^3 s)) and Michaelis constant (mol/m^3).
    diffusivity, thickness, velocity
        Oxygen diffusivity (m^2/s), slab thickness (m), perfusion velocity (m/s).
    c_surface
        Oxygen in the medium, mol/m^3.

    Returns
    -------
    dict
        ``damkohler`` (``V_max L^2 / (D c_s)``), ``peclet`` (``u L / D``), ``kappa``
        (``K_m / c_s``) and ``thiele_modulus`` (``L sqrt(V_max / (K_m D))``).
    """
    v_max, km, diffusivity, thickness, velocity = (
        np.asarray(a, dtype=float) for a in (v_max, km, diffusivity, thickness, velocity)
    )
    return {
        "damkohler": v_max * thickness**2 / (diffusivity * c_surface),
        "peclet": velocity * thickness / diffusivity,
        "kappa": km / c_surface,
        "thiele_modulus": thickness * np.sqrt(v_max / (km * diffusivity)),
    }


def tissue_oxygen(
    damkohler: Array,
    peclet: Array,
    kappa: Array,
    hypoxic_level: float = 0.065,
    nx: int = 200,
    kinetics: str = "michaelis_menten",
) -> dict[str, Array]:
    """Steady oxygen profile of the perfused slab and its summaries, from the groups.

    Parameters
    ----------
    damkohler, peclet, kappa
        The dimensionless groups (see :func:`dimensionless_groups`).
    hypoxic_level
        The hypoxia threshold as a fraction of the medium's oxygen, ``c / c_s``.
    nx
        Grid cells over the thickness.
    kinetics
        ``michaelis_menten``, or ``first_order`` (uptake ``Da theta / kappa``).

    Returns
    -------
    dict
        ``hypoxic_fraction`` (of the depth below ``hypoxic_level``), ``min_oxygen``
        (``c / c_s`` at the base), ``effectiveness`` (uptake over uptake at ``c_s``
        everywhere) and the field ``oxygen`` (``c / c_s``) over ``xi`` at
        :data:`PROFILE_POINTS` points.
    """
    if kinetics not in ("michaelis_menten", "first_order"):
        raise ValueError(f"kinetics must be michaelis_menten or first_order (got {kinetics!r})")
    da, pe, kappa = (
        np.asarray(a, dtype=float).ravel() for a in np.broadcast_arrays(damkohler, peclet, kappa)
    )
    first_order = kinetics == "first_order"
    theta = solve_profile(da, kappa, pe, int(nx), first_order)
    uptake = _uptake(theta, kappa[:, None], first_order)[0]
    at_surface = _uptake(np.ones_like(kappa), kappa, first_order)[0]
    xi = np.linspace(0.0, 1.0, theta.shape[1])
    points = np.linspace(0.0, 1.0, PROFILE_POINTS)
    profile = (
        np.stack([np.interp(points, xi, row) for row in theta])
        if len(theta)
        else np.empty((0, PROFILE_POINTS))
    )
    return {
        "hypoxic_fraction": _fraction_below(theta, hypoxic_level),
        "min_oxygen": theta[:, 0],
        "effectiveness": _trapezoid(uptake, 1.0 / int(nx)) / at_surface,
        "oxygen": profile,
    }
