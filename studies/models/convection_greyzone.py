"""Dry convection on a grid of horizontal spacing dx: the dynamical grey zone.

Resolved dynamics: two-dimensional Boussinesq convection between two horizontal
plates (Rayleigh-Benard), periodic in x, in units of the depth H and of the thermal
diffusion time H^2 / kappa (temperature 1 at the bottom, 0 at the top)::

    eta_t + u.grad(eta)   = Pr lap(eta) - Ra Pr theta_x,    lap(psi) = eta,
    theta_t + u.grad(theta) = lap(theta) + Q_scheme,        (u, w) = (psi_z, -psi_x)

on ``nz`` intervals in z and ``nx`` columns of width dx: second-order finite
differences (Arakawa's Jacobian, five-point Laplacian solved exactly by FFT in x and
DST in z), SSP Runge-Kutta 3 in time. Walls: ``psi = 0``; free-slip ``eta = 0`` or
rigid (no-slip) ``eta = 2 psi_1 / dz^2`` (Thom's formula), chosen per wall.

Subgrid dynamics: a bulk mass-flux scheme in every column. An updraft leaves the
lowest level with the wall temperature, entrains the column's air at the rate
``entrainment`` (per H) and rises while it is buoyant; its velocity comes from its
work function (``w_u^2 = 2 Ra Pr int (theta_u - theta) dz``), its mass flux is
``area_fraction * w_u`` and its heat flux ``M (theta_u - theta)``, in flux form (the
scheme moves heat within a column, never creates it). ``scheme``:

- ``conventional``: the whole flux, whatever the grid resolves;
- ``scale_aware`` (Arakawa and Wu 2013): ``(1 - sigma)^2`` of it, with the updraft
  fraction sigma diagnosed from the resolved/parameterised split of the transport,
  ``sigma = F_res / (F_res + F_conv)`` (domain and depth means, updated every stage);
- ``none``: resolved transport only.

The process scale is the depth: convection rolls have a wavelength near 2 H, so an
updraft is about l = H wide and ``dx`` is ``dx / l``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from numba import njit

Array = np.ndarray

SCHEMES = ("conventional", "scale_aware", "none")
WALLS = ("rigid", "free")
CFL = 0.4
QUIET = 1e-3  # convective flux below this share of the conduction: no convection


@dataclass(frozen=True)
class Grid:
    """The grid: ``nx`` columns of width ``dx`` (periodic), ``nz`` intervals of ``dz``.

    Fields are arrays ``(nz + 1, nx)``: rows are levels, rows 0 and nz the walls.
    """

    nx: int
    nz: int
    dx: float

    @property
    def dz(self) -> float:
        """Vertical spacing."""
        return 1.0 / self.nz

    def poisson_symbol(self) -> Array:
        """Eigenvalues of the five-point Laplacian (interior levels x rfft modes)."""
        p = np.arange(1, self.nz)[:, None]
        m = np.arange(self.nx // 2 + 1)[None, :]
        kz = (2.0 / self.dz * np.sin(np.pi * p / (2.0 * self.nz))) ** 2
        kx = (2.0 / self.dx * np.sin(np.pi * m / self.nx)) ** 2
        return np.asarray(-(kz + kx))


def streamfunction(eta: Array, grid: Grid, symbol: Array) -> Array:
    """Solve ``lap(psi) = eta`` with ``psi = 0`` on the walls (exact for the stencil)."""
    spectral = scipy.fft.rfft(scipy.fft.dst(eta[1:-1], type=1, axis=0), axis=1)
    inner = scipy.fft.idst(scipy.fft.irfft(spectral / symbol, n=grid.nx, axis=1), type=1, axis=0)
    psi = np.zeros_like(eta)
    psi[1:-1] = inner
    return psi


def wall_vorticity(eta: Array, psi: Array, grid: Grid, walls: tuple[str, str]) -> None:
    """Set the wall rows of ``eta`` (bottom, top) from the walls' kind, in place."""
    for row, inner, kind in ((0, 1, walls[0]), (-1, -2, walls[1])):
        eta[row] = 2.0 * psi[inner] / grid.dz**2 if kind == "rigid" else 0.0


def jacobian(psi: Array, q: Array, grid_dx: float, grid_dz: float) -> Array:
    """Arakawa's (1966) Jacobian ``psi_x q_z - psi_z q_x`` at the interior levels
    (the average of its three second-order forms: conserves the mean, the variance and
    the energy of ``q`` when ``psi`` is constant on the walls)."""
    out = np.empty((psi.shape[0] - 2, psi.shape[1]))
    arakawa_kernel(psi, q, grid_dx, grid_dz, out)  # fills out: no array made in numba
    return out


@njit
def arakawa_kernel(psi: Array, q: Array, grid_dx: float, grid_dz: float, out: Array) -> None:
    """The loop of :func:`jacobian`, writing into ``out`` ``(rows - 2, nx)``."""
    rows, nx = psi.shape
    scale = 1.0 / (12.0 * grid_dx * grid_dz)
    for j in range(1, rows - 1):
        for i in range(nx):
            e, w = (i + 1) % nx, (i - 1) % nx
            n, s = j + 1, j - 1
            j1 = (psi[j, e] - psi[j, w]) * (q[n, i] - q[s, i]) - (psi[n, i] - psi[s, i]) * (
                q[j, e] - q[j, w]
            )
            j2 = (
                psi[j, e] * (q[n, e] - q[s, e])
                - psi[j, w] * (q[n, w] - q[s, w])
                - psi[n, i] * (q[n, e] - q[n, w])
                + psi[s, i] * (q[s, e] - q[s, w])
            )
            j3 = (
                q[n, i] * (psi[n, e] - psi[n, w])
                - q[s, i] * (psi[s, e] - psi[s, w])
                - q[j, e] * (psi[n, e] - psi[s, e])
                + q[j, w] * (psi[n, w] - psi[s, w])
            )
            out[j - 1, i] = (j1 + j2 + j3) * scale


def laplacian(q: Array, grid: Grid) -> Array:
    """Five-point Laplacian at the interior levels."""
    xx = (np.roll(q, -1, axis=1) - 2.0 * q + np.roll(q, 1, axis=1))[1:-1] / grid.dx**2
    zz = (q[2:] - 2.0 * q[1:-1] + q[:-2]) / grid.dz**2
    return np.asarray(xx + zz)


def updraft_flux(
    theta: Array,
    grid: Grid,
    rayleigh: float,
    prandtl: float,
    entrainment: float,
    area_fraction: float,
) -> tuple[Array, Array]:
    """Conventional mass-flux scheme: heat flux at the interfaces ``(nz, nx)`` (row j
    the interface above level j; rows 0 and nz - 1, next to the walls, are 0) and the
    updraft mass flux of each column ``(nx,)``.

    Parameters
    ----------
    theta
        Temperature ``(nz + 1, nx)``.
    grid
        The grid.
    rayleigh, prandtl
        Rayleigh and Prandtl numbers (the buoyancy ``Ra Pr theta``).
    entrainment
        Fractional entrainment rate per unit height.
    area_fraction
        Updraft area fraction of the conventional scheme (sigma << 1).

    Returns
    -------
    tuple of arrays
        Interface fluxes and mass fluxes.
    """
    dz = grid.dz
    updraft = theta[0].copy()  # leaves level 1 with the wall temperature
    excess = np.zeros((grid.nz, grid.nx))
    alive = np.ones(grid.nx, dtype=bool)
    for j in range(1, grid.nz - 1):
        buoyancy = updraft - theta[j]
        alive &= buoyancy > 0.0
        excess[j] = np.where(alive, buoyancy, 0.0)
        updraft = updraft - entrainment * dz * (updraft - theta[j])
    work = excess.sum(axis=0) * dz
    mass_flux = area_fraction * np.sqrt(2.0 * rayleigh * prandtl * work)
    return mass_flux[None, :] * excess, mass_flux


def convergence(flux: Array, grid: Grid) -> Array:
    """Heating ``-dF/dz`` at the interior levels from interface fluxes ``(nz, nx)``."""
    return np.asarray(-(flux[1:] - flux[:-1]) / grid.dz)


@dataclass
class State:
    """The prognostic fields and what a stage diagnoses from them."""

    eta: Array
    theta: Array
    psi: Array
    flux: Array
    mass_flux: float
    sigma: float


@dataclass
class Convection:
    """One configuration of the resolved and subgrid dynamics."""

    grid: Grid
    rayleigh: float
    prandtl: float
    scheme: str = "none"
    entrainment: float = 2.0
    area_fraction: float = 0.05
    walls: tuple[str, str] = ("rigid", "rigid")

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)} (got {self.scheme!r})")
        for wall in self.walls:
            if wall not in WALLS:
                raise ValueError(f"walls must be 'rigid' or 'free' (got {wall!r})")
        self.symbol = self.grid.poisson_symbol()

    def diagnose(self, eta: Array, theta: Array) -> State:
        """Streamfunction (the wall vorticity set in place), scheme flux and sigma."""
        grid = self.grid
        psi = streamfunction(eta, grid, self.symbol)
        wall_vorticity(eta, psi, grid, self.walls)
        if self.scheme == "none":
            return State(eta, theta, psi, np.zeros((grid.nz, grid.nx)), 0.0, 0.0)
        flux, mass_flux = updraft_flux(
            theta, grid, self.rayleigh, self.prandtl, self.entrainment, self.area_fraction
        )
        sigma = 0.0
        if self.scheme == "scale_aware":
            resolved = max(float(resolved_flux(psi, theta, grid).mean()), 0.0)
            total = resolved + float(flux.mean())
            sigma = resolved / total if total > 0.0 else 0.0
            flux = (1.0 - sigma) ** 2 * flux
        return State(eta, theta, psi, flux, float(mass_flux.max()), sigma)

    def tendencies(self, state: State) -> tuple[Array, Array]:
        """Time derivatives of eta and theta at the interior levels."""
        grid, eta, theta, psi = self.grid, state.eta, state.theta, state.psi
        theta_x = (np.roll(theta, -1, axis=1) - np.roll(theta, 1, axis=1))[1:-1] / (2 * grid.dx)
        deta = (
            jacobian(psi, eta, grid.dx, grid.dz)
            + self.prandtl * laplacian(eta, grid)
            - self.rayleigh * self.prandtl * theta_x
        )
        dtheta = (
            jacobian(psi, theta, grid.dx, grid.dz)
            + laplacian(theta, grid)
            + convergence(state.flux, grid)
        )
        return deta, dtheta

    def time_step(self, state: State) -> float:
        """Stable step: advection and mass-flux CFL, explicit diffusion limit."""
        grid, psi = self.grid, state.psi
        u = np.abs(psi[2:] - psi[:-2]).max() / (2 * grid.dz)
        w = np.abs(np.roll(psi, -1, axis=1) - np.roll(psi, 1, axis=1)).max() / (2 * grid.dx)
        diffusion = 0.25 / (max(1.0, self.prandtl) * (1 / grid.dx**2 + 1 / grid.dz**2))
        rate = u / grid.dx + (w + state.mass_flux) / grid.dz
        return float(min(diffusion, CFL / rate)) if rate > 0 else diffusion

    def step(self, state: State, dt: float) -> State:
        """One SSP Runge-Kutta 3 step; returns the diagnosed state at the new time."""

        def stage(base: State, weight: float, previous: State) -> State:
            deta, dtheta = self.tendencies(previous)
            eta = weight * base.eta + (1.0 - weight) * previous.eta
            theta = weight * base.theta + (1.0 - weight) * previous.theta
            eta[1:-1] += (1.0 - weight) * dt * deta
            theta[1:-1] += (1.0 - weight) * dt * dtheta
            return self.diagnose(eta, theta)

        first = stage(state, 0.0, state)
        second = stage(state, 0.75, first)
        return stage(state, 1.0 / 3.0, second)


def resolved_flux(psi: Array, theta: Array, grid: Grid) -> Array:
    """Horizontal-mean resolved heat flux ``<w theta>`` at the interior levels."""
    w = -(np.roll(psi, -1, axis=1) - np.roll(psi, 1, axis=1)) / (2 * grid.dx)
    return np.asarray((w * theta).mean(axis=1)[1:-1])


def conduction_state(grid: Grid, amplitude: float, seed: int) -> tuple[Array, Array]:
    """Conduction profile plus seeded random temperature noise; fluid at rest."""
    z = np.linspace(0.0, 1.0, grid.nz + 1)[:, None]
    theta = np.repeat(1.0 - z, grid.nx, axis=1)
    noise = np.random.default_rng(seed).standard_normal((grid.nz - 1, grid.nx))
    theta[1:-1] += amplitude * noise
    return np.zeros_like(theta), theta


@dataclass
class History:
    """Depth-mean heat fluxes over time: ``conductive``, ``resolved``, ``scheme``."""

    time: list[float]
    conductive: list[float]
    resolved: list[float]
    scheme: list[float]
    sigma: list[float]

    def series(self, name: str) -> Array:
        """One record as an array."""
        return np.asarray(getattr(self, name))


def depth_mean_fluxes(state: State, grid: Grid) -> tuple[float, float, float]:
    """Conductive, resolved and scheme heat flux averaged over x and the depth."""
    theta = state.theta
    conductive = float((theta[0] - theta[-1]).mean())  # int -theta_z dz over the depth
    resolved = float(resolved_flux(state.psi, theta, grid).sum() * grid.dz)
    return conductive, resolved, float(state.flux.sum(axis=0).mean() * grid.dz)


def integrate(model: Convection, state: State, t_end: float) -> tuple[State, History]:
    """Run to ``t_end`` recording the depth-mean fluxes after every step."""
    history = History([], [], [], [], [])
    time = 0.0
    while time < t_end * (1.0 - 1e-12):
        dt = min(model.time_step(state), t_end - time)
        state = model.step(state, dt)
        time += dt
        for name, value in zip(
            ("time", "conductive", "resolved", "scheme", "sigma"),
            (time, *depth_mean_fluxes(state, model.grid), state.sigma),
            strict=True,
        ):
            getattr(history, name).append(value)
    return state, history


def columns(dx: float, domain: float, min_columns: int) -> int:
    """Number of columns: the domain in whole cells of dx, at least ``min_columns``."""
    return max(int(min_columns), round(domain / dx))


def run_sample(
    rayleigh: float,
    prandtl: float,
    entrainment: float,
    area_fraction: float,
    dx: float,
    scheme: str = "conventional",
    levels: int = 16,
    domain: float = 4.0,
    min_columns: int = 8,
    duration: float = 0.5,
    noise: float = 1e-3,
    seed: int = 0,
    walls: tuple[str, str] = ("rigid", "rigid"),
) -> dict[str, float]:
    """One convection run from the noisy conduction state; see :func:`convection`."""
    if not (dx > 0 and rayleigh > 0 and prandtl > 0 and entrainment >= 0 and area_fraction > 0):
        raise ValueError(
            "dx, rayleigh, prandtl and area_fraction must be positive, entrainment >= 0 "
            f"(got {dx}, {rayleigh}, {prandtl}, {area_fraction}, {entrainment})"
        )
    grid = Grid(columns(dx, domain, min_columns), int(levels), float(dx))
    model = Convection(grid, rayleigh, prandtl, scheme, entrainment, area_fraction, walls)
    state, history = integrate(
        model, model.diagnose(*conduction_state(grid, noise, seed)), duration
    )
    time = history.series("time")
    late = time >= duration / 2.0
    weights = np.diff(np.concatenate([[0.0], time]))[late]
    means = {
        name: float(np.average(history.series(name)[late], weights=weights))
        for name in ("conductive", "resolved", "scheme", "sigma")
    }
    convective = history.series("resolved") + history.series("scheme")
    final = means["resolved"] + means["scheme"]
    if final < QUIET * means["conductive"]:  # no convection: nothing to share or spin up
        final = 0.0
    reached = np.flatnonzero(convective >= 0.5 * final) if final > 0 else np.array([], int)
    w_mid = -np.gradient(state.psi[grid.nz // 2], axis=0) if grid.nx > 1 else state.psi[0]
    spectrum = np.abs(np.fft.rfft(w_mid))[1:]
    return {
        "nusselt": means["conductive"] + means["resolved"] + means["scheme"],
        "resolved_fraction": means["resolved"] / final if final > 0 else 0.0,
        "spinup_time": float(time[reached[0]]) if reached.size else float(duration),
        "plume_cells": float(grid.nx / (1 + np.argmax(spectrum))),
        "sigma": means["sigma"],
    }


def growth_rate(
    rayleigh: float,
    wavenumber: float,
    walls: tuple[str, str],
    levels: int = 16,
    columns_per_wave: int = 8,
    prandtl: float = 1.0,
    duration: float = 0.4,
) -> float:
    """Linear growth rate of the roll of horizontal wavenumber ``wavenumber`` (per
    thermal diffusion time), from a run of the resolved solver at amplitude 1e-8.

    Parameters
    ----------
    rayleigh, wavenumber
        Rayleigh number; wavenumber in units of 1 / depth (the domain is one wave).
    walls
        Bottom and top wall: ``"rigid"`` or ``"free"``.
    levels, columns_per_wave
        Vertical intervals; columns across the wave.
    prandtl, duration
        Prandtl number; the growth is fitted over the second half of ``duration``.

    Returns
    -------
    float
        The rate of change of the logarithm of the temperature perturbation.
    """
    grid = Grid(int(columns_per_wave), int(levels), 2.0 * np.pi / wavenumber / columns_per_wave)
    model = Convection(grid, rayleigh, prandtl, "none", walls=walls)
    z = np.linspace(0.0, 1.0, grid.nz + 1)[:, None]
    x = np.arange(grid.nx)[None, :] * grid.dx
    conduction = np.repeat(1.0 - z, grid.nx, axis=1)
    theta = conduction + 1e-8 * np.sin(np.pi * z) * np.cos(wavenumber * x)
    state, _ = integrate(model, model.diagnose(np.zeros_like(theta), theta), duration / 2.0)
    start = np.sqrt(((state.theta - conduction) ** 2).mean())
    state, _ = integrate(model, state, duration / 2.0)
    end = np.sqrt(((state.theta - conduction) ** 2).mean())
    return float(np.log(end / start) / (duration / 2.0))


def critical_rayleigh(
    wavenumber: float, walls: tuple[str, str], guess: float, levels: int = 16
) -> float:
    """Rayleigh number of zero growth at ``wavenumber``: the secant through the growth
    rates at ``0.97 guess`` and ``1.03 guess`` (the growth rate is nearly linear in Ra)."""
    low, high = 0.97 * guess, 1.03 * guess
    rate_low = growth_rate(low, wavenumber, walls, levels)
    rate_high = growth_rate(high, wavenumber, walls, levels)
    return float(low - rate_low * (high - low) / (rate_high - rate_low))


def convection(
    rayleigh: Array,
    prandtl: Array,
    entrainment: Array,
    area_fraction: Array,
    dx: Array | float,
    scheme: str = "conventional",
    levels: int = 16,
    domain: float = 4.0,
    min_columns: int = 8,
    duration: float = 0.5,
    noise: float = 1e-3,
    seed: int = 0,
) -> dict[str, Array]:
    """Heat transport of dry convection resolved on columns of width dx plus a
    mass-flux scheme's share (a loop over samples; each row may have its own dx).

    Parameters
    ----------
    rayleigh, prandtl
        Rayleigh and Prandtl numbers of the convecting layer.
    entrainment
        Fractional entrainment rate of the scheme's updraft, per depth.
    area_fraction
        The conventional scheme's updraft area fraction (sets its mass flux).
    dx
        Column width in units of the depth (a number, or one per sample).
    scheme
        ``conventional``, ``scale_aware`` or ``none`` (module docstring).
    levels, domain, min_columns
        Vertical intervals; domain width (in depths, rounded to whole columns, at
        least ``min_columns`` of them).
    duration, noise, seed
        Run length in thermal diffusion times (means over its second half); amplitude
        and seed of the initial temperature noise (the same for every sample).

    Returns
    -------
    dict
        Per sample: ``nusselt`` (total heat flux over the conductive one),
        ``resolved_fraction`` (share of the convective transport the grid carries),
        ``spinup_time`` (first time the convective transport reaches half its final
        mean; ``duration`` if nothing convects), ``plume_cells`` (dominant wavelength
        of the vertical velocity at mid-depth, in columns: 2 to 4 for grid-scale
        plumes) and ``sigma`` (mean diagnosed updraft fraction; 0 unless scale-aware).
    """
    inputs = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(v, dtype=float))
            for v in (rayleigh, prandtl, entrainment, area_fraction, dx)
        )
    )
    rows = [
        run_sample(
            float(inputs[0][i]),
            float(inputs[1][i]),
            float(inputs[2][i]),
            float(inputs[3][i]),
            float(inputs[4][i]),
            scheme=scheme,
            levels=levels,
            domain=domain,
            min_columns=min_columns,
            duration=duration,
            noise=noise,
            seed=seed,
        )
        for i in range(len(inputs[0]))
    ]
    return {name: np.array([row[name] for row in rows]) for name in rows[0]}
