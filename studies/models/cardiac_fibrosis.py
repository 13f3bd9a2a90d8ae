"""Cardiac tissue with diffuse fibrosis: cell-scale membrane kinetics as the reaction
term of a tissue-scale monodomain equation on a 2-D sheet.

micro (cell)
    :func:`cell_action_potential`: one myocyte's action potential in the
    Aliev-Panfilov model, giving its duration (APD90), the refractory period that
    decides whether re-entry can fit in the tissue.
meso (micro-structure)
    :func:`fibrosis_pattern`: a random fraction of the sites is fibrotic
    (non-conducting, no flux across their edges).
macro (tissue)
    :func:`tissue_activation`: the monodomain equation
    ``u_t = div(sigma grad u) + (k u (1 - u)(u - a) - u v) / T``,
    ``v_t = (eps0 + mu1 v / (u + mu2)) (-v - k u (u - a - 1)) / T``
    on an ``ny x nx`` sheet by explicit finite differences, vectorised over the batch.
    A planar wave starts at the left edge. Outputs: conduction velocity,
    activation-time profile along x, blocked fraction and a re-entry index.

With ``eps0 = 0`` the recovery variable stays at 0 and the reaction is Nagumo's,
``u_t = sigma u_xx + r u (1 - u)(u - a)`` with ``r = k / T``: a front of speed
``c = sqrt(2 sigma r) (1/2 - a)``; in any homogeneous sheet ``c`` scales as
``sqrt(sigma)``.

Units: time in ms, space in mm, ``sigma`` in mm^2/ms (``T = 12.9 ms`` turns the
model's time unit into ms).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

KINETICS = {"k": 8.0, "mu1": 0.2, "mu2": 0.3, "time_scale": 12.9}
"""Aliev-Panfilov constants (Aliev & Panfilov 1996), ``time_scale`` in ms."""
UPSTROKE = 0.5
"""A site is activated when ``u`` first rises through this value."""


def _seed_key(value: float) -> int:
    """The exact bits of a float as an integer: a deterministic seed component."""
    return int(np.float64(value).view(np.uint64))


def _reaction(u: np.ndarray, v: np.ndarray, a: np.ndarray, eps0: np.ndarray, k: float,
              mu1: float, mu2: float, time_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Time derivatives (1/ms) of ``u`` and ``v`` from the membrane kinetics."""
    du = (k * u * (1.0 - u) * (u - a) - u * v) / time_scale
    dv = (eps0 + mu1 * v / (u + mu2)) * (-v - k * u * (u - a - 1.0)) / time_scale
    return du, dv


def cell_action_potential(threshold: ArrayLike, recovery_rate: ArrayLike, *, dt: float = 0.1,
                          t_end: float = 800.0, **kinetics: float) -> dict[str, np.ndarray]:
    """Micro step: one cell's action potential (forward Euler, vectorised).

    The cell starts depolarised above threshold (``u = 0.4``, ``v = 0``).

    Parameters
    ----------
    threshold
        ``a``, the excitation threshold (dimensionless).
    recovery_rate
        ``eps0``, the rate of recovery (dimensionless); it sets the APD.
    dt, t_end
        Time step and length of the simulation (ms).
    **kinetics
        Overrides of ``KINETICS``.

    Returns
    -------
    dict
        ``apd`` (ms): from the upstroke (``u`` rising through 0.5) to 90 %
        repolarisation (``u`` falling through 0.1); ``t_end`` if the cell has not
        repolarised by then (``eps0 = 0``: no recovery).
    """
    p = KINETICS | kinetics
    a = np.asarray(threshold, dtype=float)
    eps0 = np.asarray(recovery_rate, dtype=float)
    u, v = np.full(a.shape, 0.4), np.zeros(a.shape)
    up, down = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
    for step in range(round(t_end / dt)):
        du, dv = _reaction(u, v, a, eps0, p["k"], p["mu1"], p["mu2"], p["time_scale"])
        new_u, v = u + dt * du, v + dt * dv
        t = step * dt
        rising = np.isnan(up) & (u < UPSTROKE) & (new_u >= UPSTROKE)
        up[rising] = t + dt * (UPSTROKE - u[rising]) / (new_u[rising] - u[rising])
        falling = ~np.isnan(up) & np.isnan(down) & (u > 0.1) & (new_u <= 0.1)
        down[falling] = t + dt * (u[falling] - 0.1) / (u[falling] - new_u[falling])
        u = new_u
        if not np.isnan(down).any():
            break
    return {"apd": np.where(np.isnan(down), t_end, down - up)}


def fibrosis_pattern(fibrosis: float, pattern: float, seed: int, ny: int, nx: int,
                     stimulus_columns: int) -> np.ndarray:
    """Conducting sites (``True``) of one sheet: site ``(i, j)`` is fibrotic where a
    uniform number drawn for it is below ``fibrosis``. The numbers come from ``seed``
    and the exact bits of ``pattern``, so a larger fraction adds fibrotic sites to the
    same pattern. The stimulated columns always conduct."""
    draws = np.random.default_rng([int(seed), _seed_key(pattern)]).random((ny, nx))
    conducting = draws >= fibrosis
    conducting[:, :stimulus_columns] = True
    return conducting


def _couplings(conducting: np.ndarray, sigma: np.ndarray, dx: float) -> np.ndarray:
    """Coupling ``sigma / dx^2`` of each site to its east, west, north and south
    neighbour, ``(4, samples, ny, nx)``: zero unless both sites conduct (no flux into
    fibrosis or across the sheet's edges)."""
    c = np.pad(conducting, ((0, 0), (1, 1), (1, 1)))
    centre = c[:, 1:-1, 1:-1]
    neighbours = (c[:, 1:-1, 2:], c[:, 1:-1, :-2], c[:, 2:, 1:-1], c[:, :-2, 1:-1])
    scale = (sigma / dx**2)[:, None, None]
    return np.stack([scale * (centre & n) for n in neighbours])


def _reachable(conducting: np.ndarray, stimulus_columns: int) -> np.ndarray:
    """Number of conducting sites connected (4-neighbours) to the stimulated columns."""
    counts = np.empty(len(conducting), dtype=int)
    for i, sheet in enumerate(conducting):
        labels, _ = ndimage.label(sheet)
        seeds = np.unique(labels[:, :stimulus_columns])
        counts[i] = np.isin(labels, seeds[seeds > 0]).sum()
    return counts


class _Sheets:
    """The sheets still running, as float32 arrays (first axis: running samples);
    :meth:`keep` drops the finished ones, so a batch costs the sum of its samples'
    steps rather than the slowest sample's steps times the batch size."""

    def __init__(self, conducting: np.ndarray, sigma: np.ndarray, a: np.ndarray,
                 eps0: np.ndarray, dx: float, cfl: float, stimulus_columns: int) -> None:
        batch, ny, nx = conducting.shape
        self.rows = np.arange(batch)
        self.g = _couplings(conducting, sigma, dx).astype(np.float32)
        self.diagonal = self.g.sum(axis=0)
        self.step = cfl * dx**2 / (4.0 * sigma)
        self.a = a.astype(np.float32)[:, None, None]
        self.eps0 = eps0.astype(np.float32)[:, None, None]
        self.padded = np.zeros((batch, ny + 2, nx + 2), dtype=np.float32)
        self.padded[:, 1:-1, 1: 1 + stimulus_columns] = 1.0
        self.v = np.zeros((batch, ny, nx), dtype=np.float32)
        self.armed = conducting.copy()
        self.armed[:, :, :stimulus_columns] = False
        self.count = conducting[:, :, :stimulus_columns].sum(axis=(1, 2))
        self.target = _reachable(conducting, stimulus_columns)
        self.t, self.last = np.zeros(batch), np.zeros(batch)
        self.buffers()

    def keep(self, mask: np.ndarray) -> None:
        """Keep the running samples where ``mask`` is true."""
        for name in ("rows", "step", "a", "eps0", "padded", "v", "armed", "count", "target",
                     "t", "last", "diagonal"):
            setattr(self, name, getattr(self, name)[mask])
        self.g = self.g[:, mask]
        self.buffers()

    def buffers(self) -> None:
        """Work arrays for one step, allocated once per batch size: dask's workers set
        ``MALLOC_TRIM_THRESHOLD_=65536``, which makes every freed temporary of this
        size a page-fault storm (a step with temporaries runs 5x slower there)."""
        shape = self.v.shape
        self.work = [np.empty(shape, dtype=np.float32) for _ in range(4)]
        self.rising = np.empty(shape, dtype=bool)
        self.dt = self.step.astype(np.float32)[:, None, None]


def propagate(sigma: np.ndarray, a: np.ndarray, eps0: np.ndarray, conducting: np.ndarray,
              dx: float, stimulus_columns: int, t_max: float, stall: float, cfl: float,
              kinetics: dict[str, float]) -> np.ndarray:
    """Activation times (ms; ``inf`` where never activated), ``(samples, ny, nx)``.

    Every sample steps with its own ``dt = cfl dx^2 / (4 sigma)`` (stable for the
    5-point Laplacian) and stops on its own: once every site connected to the
    stimulus is activated, no site has activated for ``stall`` ms, or at ``t_max``.
    So a sample's result does not depend on the batch it is in.
    """
    act = np.full(conducting.shape, np.inf)
    act[:, :, :stimulus_columns] = 0.0
    k, mu1, mu2, scale = (np.float32(kinetics[key]) for key in ("k", "mu1", "mu2", "time_scale"))
    rate, inverse = k / scale, np.float32(1.0) / scale
    s = _Sheets(conducting, sigma, a, eps0, dx, cfl, stimulus_columns)
    while len(s.rows):
        u, v, p = s.padded[:, 1:-1, 1:-1], s.v, s.padded
        new, du, dv, tmp = s.work
        # Laplacian: sum of g (neighbour - u) over the four neighbours.
        np.multiply(s.g[0], p[:, 1:-1, 2:], out=new)
        for g, neighbour in zip(s.g[1:], (p[:, 1:-1, :-2], p[:, 2:, 1:-1], p[:, :-2, 1:-1]),
                                strict=True):
            new += np.multiply(g, neighbour, out=tmp)
        new -= np.multiply(s.diagonal, u, out=tmp)
        # Aliev-Panfilov kinetics, constants folded: du = r u (1 - u)(u - a) - u v / T,
        np.subtract(1.0, u, out=du)
        du *= np.subtract(u, s.a, out=tmp)
        du *= u
        du *= rate
        np.multiply(u, v, out=tmp)
        tmp *= inverse
        du -= tmp
        # dv = (eps0 + mu1 v / (u + mu2)) (-v - k u (u - a - 1)) / T.
        np.divide(v, np.add(u, mu2, out=dv), out=dv)
        dv *= mu1
        dv += s.eps0
        np.subtract(u, s.a, out=tmp)
        tmp -= 1.0
        tmp *= u
        tmp *= -k
        tmp -= v
        dv *= tmp
        dv *= inverse
        # Forward Euler.
        new += du
        new *= s.dt
        new += u
        dv *= s.dt
        v += dv
        rising = np.greater_equal(new, UPSTROKE, out=s.rising)
        rising &= s.armed
        if rising.any():
            where = np.nonzero(rising)
            row = where[0]
            act[(s.rows[row], *where[1:])] = s.t[row] + s.step[row] * (
                UPSTROKE - u[where]) / (new[where] - u[where])
            s.armed[where] = False
            fresh = np.bincount(row, minlength=len(s.rows))
            s.count += fresh
            s.last[fresh > 0] = s.t[fresh > 0]
        np.copyto(u, new)
        s.t += s.step
        going = (s.count < s.target) & (s.t - s.last <= stall) & (s.t < t_max)
        if not going.all():
            s.keep(going)
    return act


def _velocity(profile: np.ndarray, dx: float, fit: tuple[float, float] = (0.25, 0.65)
              ) -> np.ndarray:
    """Conduction velocity (mm/ms) from the least-squares slope of the activation
    profile over the columns between fractions ``fit`` of the sheet's length (away
    from the stimulus and from the far edge, which speeds up an arriving front); 0
    where the wave did not cross them (conduction block)."""
    nx = profile.shape[1]
    cols = np.arange(round(fit[0] * (nx - 1)), round(fit[1] * (nx - 1)) + 1)
    xc = cols * dx - (cols * dx).mean()
    times = profile[:, cols]
    crossed = np.isfinite(times).all(axis=1)
    # math.fsum: exactly rounded, so a sample's velocity does not depend on its batch.
    products = np.where(crossed[:, None], times, 0.0) * xc
    slope = np.array([math.fsum(row) for row in products]) / math.fsum(xc * xc)
    return np.where(crossed & (slope > 0), 1.0 / np.where(slope > 0, slope, 1.0), 0.0)


def tissue_activation(conductivity: ArrayLike, threshold: ArrayLike, recovery_rate: ArrayLike,
                      fibrosis: ArrayLike, pattern: ArrayLike, apd: ArrayLike, *,
                      seed: int = 0, nx: int = 48, ny: int = 20, dx: float = 0.5,
                      stimulus_mm: float = 2.5, t_max: float = 100.0, stall: float = 5.0,
                      cfl: float = 0.9, profile_start: float = 2.5, profile_step: float = 0.5,
                      profile_points: int = 43,
                      **kinetics: float) -> dict[str, np.ndarray]:
    """Macro step: a planar wave through a fibrotic sheet (monodomain, explicit FD).

    Parameters
    ----------
    conductivity
        ``sigma``, the monodomain diffusion coefficient (mm^2/ms).
    threshold, recovery_rate
        ``a`` and ``eps0`` of the membrane kinetics (cell scale).
    fibrosis
        Fraction of fibrotic (non-conducting) sites.
    pattern
        Chooses the fibrosis pattern (any float; e.g. uniform on [0, 1]).
    apd
        Action potential duration of a cell (ms), from :func:`cell_action_potential`.
    seed
        Seed shared by all samples (the study's).
    nx, ny, dx
        Sheet size in sites and site spacing (mm).
    stimulus_mm
        Width of the stimulated strip at the left edge (mm).
    t_max, stall
        Longest simulated time, and time without a new activation that ends it (ms).
    cfl
        Fraction of the explicit stability limit used as time step.
    profile_start, profile_step, profile_points
        The activation profile is reported at ``x = profile_start + j profile_step``
        (mm; from the stimulus' edge: stimulated sites activate at 0), the nearest
        column's value (``t_max`` beyond the sheet), whatever the grid.
    **kinetics
        Overrides of ``KINETICS``.

    Returns
    -------
    dict
        ``cv`` (mm/ms; 0 if the wave did not cross the middle of the sheet),
        ``activation`` (ms, field over ``x``: median activation time of the
        conducting sites of a column; ``t_max`` where most never activated),
        ``blocked`` (fraction of conducting sites never activated: isolated pockets
        and propagation failure), ``reentry_index`` (total activation time over the APD: the path
        length over the wavelength; re-entry needs it above 1).
    """
    p = KINETICS | kinetics
    sigma = np.asarray(conductivity, dtype=float)
    a = np.asarray(threshold, dtype=float)
    eps0 = np.asarray(recovery_rate, dtype=float)
    fib, pat = np.asarray(fibrosis, dtype=float), np.asarray(pattern, dtype=float)
    columns = max(1, round(stimulus_mm / dx))
    conducting = np.stack([fibrosis_pattern(f, q, seed, ny, nx, columns)
                           for f, q in zip(fib, pat, strict=True)])
    act = propagate(sigma, a, eps0, conducting, dx, columns, t_max, stall, cfl, p)
    # Median over each column's conducting sites (never activated: inf).
    profile = np.array([[np.median(sheet[:, j][ok[:, j]]) if ok[:, j].any() else np.inf
                         for j in range(nx)] for sheet, ok in zip(act, conducting, strict=True)])
    cv = _velocity(profile, dx)
    profile = np.where(np.isfinite(profile), profile, t_max)
    x = profile_start + profile_step * np.arange(profile_points)
    column = np.rint(x / dx).astype(int)
    inside = column < nx
    activation = np.full((len(sigma), profile_points), float(t_max))
    activation[:, inside] = profile[:, column[inside]]
    activated = np.isfinite(act) & conducting
    last = np.where(activated, act, 0.0).max(axis=(1, 2))
    return {"cv": cv, "activation": activation,
            "blocked": 1.0 - activated.sum(axis=(1, 2)) / conducting.sum(axis=(1, 2)),
            "reentry_index": last / np.asarray(apd, dtype=float)}
