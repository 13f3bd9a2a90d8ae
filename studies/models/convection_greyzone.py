"""Convective plumes on a grid of spacing dx: the grey zone of convection.

A horizontally periodic slab (x, z) of width ``domain`` and depth ``depth`` holds
``plumes`` convective updrafts of width ``l`` (``plume_width``, the top-hat
equivalent width: Gaussian profiles ``exp(-x^2 / 2 s^2)`` with ``s = l / sqrt(2 pi)``)
with uniform compensating subsidence. They carry the surface heat flux upwards.

Plume (micro, dx-independent): a bulk entraining plume with fractional entrainment
``eps`` in an environment of potential-temperature lapse rate ``Gamma``::

    d(dtheta)/dz = -eps dtheta - Gamma
    d(w^2)/dz    = 2 a (g / theta0) dtheta - 2 b eps w^2        (a = 2/3, b = 1)

solved exactly (the system is linear); the plume stops where ``w^2`` reaches 0.
At the surface ``w0 = (B_s z_s / sigma0)^(1/3)`` (free convection of the surface
buoyancy flux ``B_s`` concentrated in the updraft area fraction ``sigma0``) and
``dtheta0`` is the quasi-equilibrium closure: the plume field's heat flux at the
surface equals the surface heat flux. The true flux profile is then
``F(z) = rho cp w(z) dtheta(z) Var_x(G)``, ``G`` the sum of the unit plume profiles.

Grid (dx-dependent, computed): the model holds on its grid of ``n = round(domain / dx)``
cells (the domain is ``n dx``) the cell averages of the plume fields (exact integrals of
the Gaussians), and its dynamical core, third-order upwind advection, damps them as
they are carried laterally relative to the grid: the semi-discrete scheme multiplies
Fourier mode ``theta = k dx`` by ``exp(-(X / 3 dx) (1 - cos theta)^2)`` after an
advection distance ``X``, taken as ``advection * z`` (a parcel at height z has drifted
about as far as it has risen). The resolved flux at each level is the domain
covariance of the resolved w and theta: ``sum_k>0 |G_k|^2 R_k^2`` (Parseval, FFT of
the cell values) times ``rho cp w dtheta``. For dx << l it tends to the true flux
(second order from cell averaging, third from the damping); for dx >> l to a
fraction ~ sqrt(2) l / dx of it.

Parameterisation: a mass-flux scheme with the same plume model and the same
quasi-equilibrium closure supplies ``F_QE(z)``, equal to the true flux: exact when
nothing is resolved. ``scheme``:

- ``conventional`` adds all of ``F_QE`` whatever the grid resolves: the resolved part
  is counted twice (total -> 2 F as dx -> 0);
- ``scale_aware`` (Arakawa and Wu 2013) adds ``(1 - sigma)^2 F_QE``, sigma the updraft
  area fraction of a grid cell holding a plume, ``min(1, l / dx)``: the scheme shuts
  off where plumes are resolved; in the grey zone it misses part of the transport,
  because a plume of width ~dx is only partly resolved;
- ``none``: resolved transport only (convection-permitting practice).

Plume positions are drawn from ``seed`` (``layouts`` independent layouts, results
averaged over them), not from the sample's inputs: the same convective realisations
for every sample and spacing, so outputs are smooth functions of the inputs.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

Array = np.ndarray

RHO_CP = 1.2 * 1005.0  # J m^-3 K^-1, air near the surface
GRAVITY = 9.81  # m s^-2
THETA0 = 300.0  # K, reference potential temperature
VIRTUAL_MASS = 2.0 / 3.0  # a: buoyancy acceleration factor 1 / (1 + gamma), gamma = 1/2
DRAG = 1.0  # b: entrainment drag factor
SCHEMES = ("conventional", "scale_aware", "none")


def level_heights(depth: float = 4000.0, levels: int = 40) -> Array:
    """Heights of the level centres, m (the ``z`` coordinate of ``flux_profile``)."""
    return (np.arange(levels) + 0.5) * depth / levels


def plume_profile(
    w0: float, dtheta0: float, eps: float, lapse: float, z: Array
) -> tuple[Array, Array]:
    """Updraft velocity ``w`` (m/s, 0 above the plume top) and excess potential
    temperature ``dtheta`` (K) at heights ``z``, exact solution of the plume equations.

    ``eps`` in 1/m, ``lapse`` in K/m.

    Examples
    --------
    >>> w, d = plume_profile(1.0, 1.0, 1e-3, 0.0, np.array([0.0, 1000.0]))
    >>> round(float(d[1]), 6) == round(float(np.exp(-1.0)), 6)
    True
    """
    z = np.asarray(z, dtype=float)
    c = lapse / eps
    dtheta = (dtheta0 + c) * np.exp(-eps * z) - c
    beta = 2.0 * VIRTUAL_MASS * GRAVITY / THETA0
    k = 2.0 * DRAG * eps
    # w^2' + k w^2 = beta ((dtheta0 + c) e^{-eps z} - c)
    if np.isclose(k, eps):
        forced = (dtheta0 + c) * z * np.exp(-eps * z)
    else:
        forced = (dtheta0 + c) * (np.exp(-eps * z) - np.exp(-k * z)) / (k - eps)
    w2 = w0**2 * np.exp(-k * z) + beta * (forced - c * (1.0 - np.exp(-k * z)) / k)
    # The plume ends at the first level where w^2 <= 0 (it does not restart above).
    alive = np.cumprod(w2 > 0).astype(bool)
    return np.where(alive, np.sqrt(np.maximum(w2, 0.0)), 0.0), dtheta


def plume_layout(plumes: int, seed: int, layout: int) -> Array:
    """Plume centres as fractions of the domain width for one layout (deterministic)."""
    return np.random.default_rng([int(seed), int(layout)]).random(int(plumes))


def true_variance(centres: Array, width: float) -> float:
    """Domain variance of ``G(x) = sum_i g(x - x_i)`` on a periodic domain of width 1
    (exact; ``g`` unit-peak Gaussians of top-hat width ``width``, a domain fraction)."""
    s = width / np.sqrt(2.0 * np.pi)
    gap = (centres[:, None] - centres[None, :] + 0.5) % 1.0 - 0.5
    images = gap[..., None] + np.arange(-2, 3)
    mean_square = np.sqrt(np.pi) * s * np.exp(-(images**2) / (4.0 * s * s)).sum()
    return float(mean_square - (len(centres) * width) ** 2)


def cell_averages(centres: Array, width: float, cells: int) -> Array:
    """Cell averages of ``G`` on ``cells`` equal cells of the periodic unit domain."""
    s = width / np.sqrt(2.0 * np.pi)
    edges = np.arange(cells + 1) / cells
    mass = np.zeros(cells)
    for image in range(-2, 3):  # small arrays: see bistable_front.CHUNK
        scaled = (edges[None, :] - centres[:, None] - image) / (np.sqrt(2.0) * s)
        mass += 0.5 * np.diff(erf(scaled), axis=1).sum(axis=0)
    return mass * width * cells


def resolved_variance(averages: Array, advected: Array) -> Array:
    """Variance of the cell values after third-order upwind advection over the
    distances ``advected`` (in cells, one per level): ``sum_k>0 |G_k|^2 R_k^2``."""
    cells = len(averages)
    spectrum = np.abs(np.fft.rfft(averages) / cells) ** 2
    spectrum[1:] *= 2.0  # negative wavenumbers
    if cells % 2 == 0:
        spectrum[-1] /= 2.0  # the Nyquist mode appears once
    theta = 2.0 * np.pi * np.arange(len(spectrum)) / cells
    damping = np.exp(-2.0 * advected[:, None] / 3.0 * (1.0 - np.cos(theta)) ** 2)
    return (damping[:, 1:] * spectrum[1:]).sum(axis=1)


def scale_aware_factor(plume_width: float, dx: float) -> float:
    """Arakawa and Wu (2013): the subgrid flux is ``(1 - sigma)^2`` of the
    conventional, sigma = min(1, l / dx) the updraft fraction of a cell with a plume."""
    return (1.0 - min(1.0, plume_width / dx)) ** 2


def column(
    surface_flux: float,
    entrainment: float,
    plume_width: float,
    lapse_rate: float,
    dx: float,
    scheme: str = "conventional",
    domain: float = 12800.0,
    depth: float = 4000.0,
    levels: int = 40,
    plumes: int = 8,
    layouts: int = 8,
    seed: int = 0,
    advection: float = 1.0,
    surface_layer: float = 100.0,
) -> dict[str, Array]:
    """Flux profiles of one sample, W/m^2 at the surface and the level centres
    (``levels + 1`` heights: 0, then :func:`level_heights`), means over the layouts:
    ``true``, ``resolved``, ``parameterised`` and ``total``. Units as :func:`convection`.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)} (got {scheme!r})")
    if not (dx > 0 and plume_width > 0 and entrainment > 0 and surface_flux > 0):
        raise ValueError(
            f"dx, plume_width, entrainment and surface_flux must be positive "
            f"(got {dx}, {plume_width}, {entrainment}, {surface_flux})"
        )
    cells = max(1, round(domain / dx))
    width = cells * dx  # the domain holds whole cells
    if plumes * plume_width >= width:
        raise ValueError(f"{plumes} plumes of width {plume_width} m fill the domain ({width} m)")
    z = np.concatenate([[0.0], level_heights(depth, levels)])
    eps, lapse = entrainment / 1000.0, lapse_rate / 1000.0
    flux = surface_flux / RHO_CP  # K m/s
    sigma0 = plumes * plume_width / width
    w0 = (GRAVITY / THETA0 * flux * surface_layer / sigma0) ** (1.0 / 3.0)
    subgrid = {
        "conventional": 1.0,
        "none": 0.0,
        "scale_aware": scale_aware_factor(plume_width, dx),
    }[scheme]
    true = np.zeros(len(z))
    resolved = np.zeros(len(z))
    for layout in range(layouts):
        centres = plume_layout(plumes, seed, layout)
        variance = true_variance(centres, plume_width / width)
        dtheta0 = flux / (w0 * variance)  # quasi-equilibrium closure
        w, dtheta = plume_profile(w0, dtheta0, eps, lapse, z)
        shape = RHO_CP * w * dtheta
        averages = cell_averages(centres, plume_width / width, cells)
        true += shape * variance
        resolved += shape * resolved_variance(averages, advection * z / dx)
    true, resolved = true / layouts, resolved / layouts
    parameterised = subgrid * true  # F_QE equals the true flux
    return {
        "true": true,
        "resolved": resolved,
        "parameterised": parameterised,
        "total": resolved + parameterised,
    }


def convection(
    surface_flux: Array,
    entrainment: Array,
    plume_width: Array,
    lapse_rate: Array,
    dx: Array | float,
    scheme: str = "conventional",
    domain: float = 12800.0,
    depth: float = 4000.0,
    levels: int = 40,
    plumes: int = 8,
    layouts: int = 8,
    seed: int = 0,
    advection: float = 1.0,
    surface_layer: float = 100.0,
) -> dict[str, Array]:
    """Domain-mean convective heat flux resolved on a grid of spacing dx plus a
    convection scheme's share (vectorised over samples; each row its own dx).

    Parameters
    ----------
    surface_flux
        Surface sensible heat flux, W/m^2.
    entrainment
        Fractional entrainment rate of the plumes, 1/km.
    plume_width
        Top-hat equivalent width of an updraft, m.
    lapse_rate
        Environmental potential-temperature lapse rate, K/km (stable: > 0).
    dx
        Grid spacing, m (a number, or one per sample).
    scheme
        ``conventional``, ``scale_aware`` or ``none`` (see the module docstring).
    domain, depth, levels
        Domain width (rounded to whole cells of dx) and depth, m; number of levels.
    plumes, layouts, seed
        Plumes per layout; layouts averaged over; seed of the plume positions.
    advection
        Lateral drift of resolved air relative to the grid per metre of rise (sets the
        numerical smoothing by the advection scheme; 0: cell averages only).
    surface_layer
        Depth over which the surface buoyancy flux accelerates the plumes, m.

    Returns
    -------
    dict
        Per sample: ``heat_flux``, the total (resolved + parameterised) convective heat
        flux leaving the surface, W/m^2 (the truth is ``surface_flux``, by the closure);
        ``flux_error``, ``heat_flux / surface_flux - 1`` (> 0: counted twice, < 0:
        missed); ``resolved_fraction``, the share of the true surface flux that the
        grid resolves (the same for every scheme);
        ``column_flux``, the total flux averaged over the levels, W/m^2. And
        ``flux_profile``, the total flux at :func:`level_heights`, W/m^2,
        ``(samples, levels)``.

    Examples
    --------
    >>> out = convection([200.0], [1.0], [400.0], [1.0], dx=3200.0, scheme="scale_aware")
    >>> 0.0 < float(out["resolved_fraction"][0]) < 0.2
    True
    """
    inputs = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(v, dtype=float))
            for v in (surface_flux, entrainment, plume_width, lapse_rate, dx)
        )
    )
    rows = [
        column(
            *(float(v[i]) for v in inputs),
            scheme=scheme,
            domain=domain,
            depth=depth,
            levels=levels,
            plumes=plumes,
            layouts=layouts,
            seed=seed,
            advection=advection,
            surface_layer=surface_layer,
        )
        for i in range(len(inputs[0]))
    ]
    total = np.array([r["total"] for r in rows])
    resolved = np.array([r["resolved"] for r in rows])
    surface = inputs[0]
    return {
        "heat_flux": total[:, 0],
        "flux_error": total[:, 0] / surface - 1.0,
        "resolved_fraction": resolved[:, 0] / surface,
        "column_flux": total[:, 1:].mean(axis=1),
        "flux_profile": total[:, 1:],
    }
