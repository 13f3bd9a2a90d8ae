"""Re-entry in fibrotic myocardium: Mitchell-Schaeffer membrane kinetics (cell scale),
a fibrosis pattern (micro-structure) and an S1-S2 cross-field protocol on a
monodomain sheet (tissue scale).

micro (cell)
    Mitchell & Schaeffer's two-current model: a fast inward current gated by ``h``,
    ``J_in = h v^2 (1 - v) / tau_in``, and an outward current ``J_out = -v / tau_out``;
    the gate opens with ``tau_open`` below ``v_gate`` and closes with ``tau_close``
    above it. Its four time constants are the channel-like inputs.
    :func:`cell_restitution` paces one cell and returns its APD at a range of
    diastolic intervals (the restitution curve) and at full recovery. Mitchell and
    Schaeffer (2003) give it in closed form,
    ``APD(DI) = tau_close ln((1 - (1 - h_min) e^{-DI / tau_open}) / h_min)``,
    ``h_min = 4 tau_in / tau_out``, for ``tau_in << tau_out << tau_open, tau_close``.
meso (micro-structure)
    :func:`fibrosis_pattern`: a random fraction of the sites is fibrotic
    (non-conducting, no flux across their edges).
macro (tissue)
    :func:`tissue_reentry`: ``v_t = div(sigma grad v) + J_in + J_out`` on an
    ``n x n`` sheet by explicit finite differences (forward Euler, 5-point flux), every
    sheet of a batch (samples x S2 timings) stepped by one numba kernel
    (:func:`_advance`) that fuses the stimulus, the currents, the flux and the
    activation bookkeeping. S1: a planar wave from the left edge. S2 (cross-field): the lower-left
    quadrant is stimulated at ``apd + delay`` for each of the ``s2_delays``; where the
    S1 tail has recovered on one side of it and not the other, the S2 wave breaks and
    can curl into a rotor. Every activation (``v`` rising through 1/2) of every site
    is counted; phase singularities are the plaquettes around which the phase of
    ``(v - 1/2, h - h_c)`` winds by a full turn (``h_c``: :data:`H_CENTRE`).

The wavefront, while ``h = 1``, is Nagumo's: ``v_t = sigma v_xx + v (v - v_-)(v_+ - v)
/ tau_in`` with ``v_+- = (1 +- sqrt(1 - h_min)) / 2``, so it travels at
``c = sqrt(sigma / (2 tau_in)) (v_+ - 2 v_-)``.

Units: time in ms, space in mm, ``sigma`` in mm^2/ms.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

V_GATE = 0.13
"""Mitchell & Schaeffer's gate switching voltage."""
UPSTROKE = 0.5
"""A site activates when ``v`` rises through this value."""
H_CENTRE = 0.3
"""The phase is taken about ``(1/2, h_min + H_CENTRE (1 - h_min))``: inside the
``(v, h)`` loop of every activation, also at the short diastolic intervals of
re-entry (where the gate recovers far from 1)."""


def _seed_key(value: float) -> int:
    """The exact bits of a float as an integer: a deterministic seed component."""
    return int(np.float64(value).view(np.uint64))


def restitution_closed_form(
    di: ArrayLike, tau_in: ArrayLike, tau_out: ArrayLike, tau_open: ArrayLike, tau_close: ArrayLike
) -> np.ndarray:
    """Mitchell & Schaeffer's APD restitution curve (their eq. for ``APD(DI)``).

    Parameters
    ----------
    di
        Diastolic interval (ms).
    tau_in, tau_out, tau_open, tau_close
        The model's time constants (ms).

    Returns
    -------
    numpy.ndarray
        ``tau_close ln((1 - (1 - h_min) exp(-DI / tau_open)) / h_min)``, ms.
    """
    h_min = 4.0 * np.asarray(tau_in) / np.asarray(tau_out)
    decay = np.exp(-np.asarray(di) / np.asarray(tau_open))
    apd: np.ndarray = np.asarray(tau_close) * np.log((1.0 - (1.0 - h_min) * decay) / h_min)
    return apd


def front_speed(sigma: ArrayLike, tau_in: ArrayLike, tau_out: ArrayLike) -> np.ndarray:
    """The wavefront's speed with the gate open: ``sqrt(sigma / (2 tau_in)) (v_+ - 2 v_-)``
    (mm/ms)."""
    root = np.sqrt(1.0 - 4.0 * np.asarray(tau_in) / np.asarray(tau_out))
    speed: np.ndarray = np.sqrt(np.asarray(sigma) / (2.0 * np.asarray(tau_in))) * (
        (1.0 + root) / 2.0 - (1.0 - root)
    )
    return speed


def _membrane(
    v: np.ndarray,
    h: np.ndarray,
    tau_in: np.ndarray,
    tau_out: np.ndarray,
    tau_open: np.ndarray,
    tau_close: np.ndarray,
    dt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One forward-Euler step of the cell's currents and gate: (``dv``, new ``h``)."""
    dv = dt * (h * v * v * (1.0 - v) / tau_in - v / tau_out)
    h = np.where(v < V_GATE, h + dt * (1.0 - h) / tau_open, h - dt * h / tau_close)
    return dv, h


def cell_restitution(
    tau_in: ArrayLike,
    tau_out: ArrayLike,
    tau_open: ArrayLike,
    tau_close: ArrayLike,
    *,
    dt: float = 0.01,
    intervals: tuple[float, ...] = (20, 40, 60, 80, 120, 160, 240, 320),
    recovered: float = 2000.0,
) -> dict[str, np.ndarray]:
    """Micro step: one cell paced S1-S2, its APD at each diastolic interval.

    A fully recovered cell (``h = 1``) is excited (``v = 0.3``) and repolarises; a
    diastolic interval ``DI`` later (``v`` below ``V_GATE``: the gate recovers freely,
    ``h = 1 - (1 - h_end) e^{-DI / tau_open}``) an S2 excites it again, and its APD is
    measured from the stimulus to ``v`` falling through ``V_GATE``. All intervals run
    as one vectorised batch.

    Parameters
    ----------
    tau_in, tau_out, tau_open, tau_close
        The model's time constants (ms).
    dt
        Time step (ms).
    intervals
        Diastolic intervals of the restitution curve (ms).
    recovered
        The diastolic interval of the steady ``apd`` (ms).

    Returns
    -------
    dict
        ``apd`` (ms, at ``DI = recovered``), ``restitution`` (ms, APD at each interval:
        a field over ``di``) and ``apd_shortening`` (``apd`` minus it; Mitchell and
        Schaeffer's closed form, ``-tau_close ln(1 - (1 - h_min) e^{-DI / tau_open})``,
        holds it without the offset their asymptotics leave in the APD itself).
    """
    taus = [
        np.asarray(t, dtype=float).ravel()
        for t in np.broadcast_arrays(tau_in, tau_out, tau_open, tau_close)
    ]
    h_end = _action_potential(np.ones(len(taus[0])), taus, dt)[1]
    di = np.asarray((*intervals, recovered), dtype=float)
    h = 1.0 - (1.0 - h_end[:, None]) * np.exp(-di / taus[2][:, None])
    apd = _action_potential(h.ravel(), [np.repeat(t, len(di)) for t in taus], dt)[0]
    apd = apd.reshape(h.shape)
    return {
        "apd": apd[:, -1],
        "restitution": apd[:, :-1],
        "apd_shortening": apd[:, -1:] - apd[:, :-1],
    }


def _action_potential(
    h: np.ndarray, taus: list[np.ndarray], dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """Duration (stimulus to ``v`` falling through ``V_GATE``) and the gate at that
    moment, of action potentials started at ``v = 0.3`` with gates ``h``."""
    v, h = np.full(h.shape, 0.3), h.copy()
    duration = np.full(h.shape, np.nan)
    gate = np.full(h.shape, np.nan)
    t = 0.0
    while np.isnan(duration).any() and t < 5000.0:
        dv, h_new = _membrane(v, h, taus[0], taus[1], taus[2], taus[3], dt)
        new = v + dv
        falling = np.isnan(duration) & (v >= V_GATE) & (new < V_GATE)
        fraction = (v[falling] - V_GATE) / (v[falling] - new[falling])
        duration[falling] = t + fraction * dt
        gate[falling] = h_new[falling]
        v, h, t = new, h_new, t + dt
    return np.where(np.isnan(duration), 5000.0, duration), gate


def fibrosis_pattern(
    fibrosis: float, pattern: float, seed: int, shape: tuple[int, int], stimulus_columns: int
) -> np.ndarray:
    """Conducting sites (``True``) of one sheet of ``shape`` sites: site ``(i, j)`` is fibrotic
    where a uniform number drawn for it is below ``fibrosis``. The numbers come from
    ``seed`` and the exact bits of ``pattern``, so a larger fraction adds fibrotic
    sites to the same pattern. The S1 columns always conduct."""
    draws = np.random.default_rng([int(seed), _seed_key(pattern)]).random(shape)
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


def phase_singularities(
    v: np.ndarray, h: np.ndarray, h_centre: np.ndarray, conducting: np.ndarray
) -> np.ndarray:
    """Number of phase singularities per sheet: plaquettes of four conducting sites
    around which the phase ``atan2(h - h_c, v - 1/2)`` winds by a full turn."""
    phase = np.arctan2(h - h_centre[:, None, None], v - 0.5)
    corners = (phase[:, :-1, :-1], phase[:, :-1, 1:], phase[:, 1:, 1:], phase[:, 1:, :-1])
    winding = np.zeros_like(corners[0])
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        turn = b - a
        winding += turn - (2.0 * np.pi) * np.round(turn / (2.0 * np.pi))  # into [-pi, pi]
    whole = (
        conducting[:, :-1, :-1]
        & conducting[:, :-1, 1:]
        & conducting[:, 1:, 1:]
        & conducting[:, 1:, :-1]
    )
    found: np.ndarray = (whole & (np.abs(winding) > np.pi)).sum(axis=(1, 2))
    return found


def _velocity(
    first: np.ndarray, conducting: np.ndarray, dx: float, fit: tuple[float, float] = (0.25, 0.65)
) -> np.ndarray:
    """Conduction velocity (mm/ms) of the S1 wave: the least-squares slope of the
    median activation time of each column's conducting sites over the columns between
    fractions ``fit`` of the sheet; 0 where the wave did not cross them (block)."""
    nx = first.shape[2]
    cols = np.arange(round(fit[0] * (nx - 1)), round(fit[1] * (nx - 1)) + 1)
    profile = np.array(
        [
            [np.median(sheet[:, j][ok[:, j]]) if ok[:, j].any() else np.inf for j in cols]
            for sheet, ok in zip(first, conducting, strict=True)
        ]
    )
    xc = cols * dx - (cols * dx).mean()
    crossed = np.isfinite(profile).all(axis=1)
    # math.fsum: exactly rounded, so a sample's velocity does not depend on its batch.
    products = np.where(crossed[:, None], profile, 0.0) * xc
    slope = np.array([math.fsum(row) for row in products]) / math.fsum(xc * xc)
    return np.where(crossed & (slope > 0), 1.0 / np.where(slope > 0, slope, 1.0), 0.0)


@dataclasses.dataclass
class _Sheets:
    """The sheets still running (one per sample and S2 timing), float32 state:
    :meth:`keep` drops the finished ones, so a batch costs the sum of its sheets'
    steps, not its slowest sheet's steps times the batch size."""

    row: np.ndarray
    t_s2: np.ndarray
    taus: np.ndarray
    h_centre: np.ndarray
    g: np.ndarray
    conducting: np.ndarray
    s2_region: np.ndarray
    v: np.ndarray
    h: np.ndarray
    marks: np.ndarray
    count: np.ndarray
    ps_sum: np.ndarray
    ps_checks: np.ndarray
    fired: np.ndarray
    alive_until: np.ndarray

    def take(self, rows: np.ndarray) -> None:
        """Keep the sheets ``rows`` picks (a mask, or indices: repeated ones copy a sheet)."""
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            kept = value[:, rows] if field.name in ("g", "marks") else value[rows]
            setattr(self, field.name, np.ascontiguousarray(kept))  # one numba signature


# No on-disk cache: a cached kernel records the module name it was compiled under, and
# runs (``models.cardiac_fibrosis``), tests and Dask workers import this file under
# different names.
@njit
def _advance(
    v: np.ndarray,
    h: np.ndarray,
    g: np.ndarray,
    taus: np.ndarray,
    t_s2: np.ndarray,
    s2_region: np.ndarray,
    conducting: np.ndarray,
    marks: np.ndarray,
    count: np.ndarray,
    fired: np.ndarray,
    scratch: np.ndarray,
    step0: int,
    steps: int,
    dt: float,
) -> None:  # pragma: no cover - compiled by numba (its Python is run by the tests' oracle)
    """``steps`` steps from step ``step0`` of every sheet, in place: the S2 stimulus,
    the Mitchell-Schaeffer currents and gate (forward Euler), the 5-point flux
    ``sum_n g_n (v_n - v)`` and the upstroke bookkeeping, fused in one pass.

    ``taus`` holds each sheet's ``(tau_in, tau_out, tau_open, tau_close)``; ``marks``
    the first activation before S2, the first and the last after it; ``count`` the
    activations after S2, ``fired`` each sheet's last one; ``scratch`` is one sheet's
    new ``v`` (the flux needs the old one). Every array is made by the caller: numba
    allocates none (arrays it makes fail in Dask worker threads).
    """
    sheets, ny, nx = v.shape
    dt32 = np.float32(dt)
    one, gate, upstroke = np.float32(1.0), np.float32(V_GATE), np.float32(UPSTROKE)
    for step in range(step0, step0 + steps):
        t = step * dt
        t_next = t + dt
        for k in range(sheets):
            after = t >= t_s2[k]
            if t <= t_s2[k] < t_next:
                for i in range(ny):
                    for j in range(nx):
                        if s2_region[k, i, j]:
                            v[k, i, j] = one
            # Rates, not time constants: one division per sheet and call, none per site.
            k_in, k_out = one / taus[k, 0], one / taus[k, 1]
            k_open, k_close = dt32 / taus[k, 2], dt32 / taus[k, 3]
            for i in range(ny):
                for j in range(nx):
                    vc, hc = v[k, i, j], h[k, i, j]
                    flux = np.float32(0.0)
                    if j + 1 < nx:
                        flux += g[0, k, i, j] * (v[k, i, j + 1] - vc)
                    if j > 0:
                        flux += g[1, k, i, j] * (v[k, i, j - 1] - vc)
                    if i + 1 < ny:
                        flux += g[2, k, i, j] * (v[k, i + 1, j] - vc)
                    if i > 0:
                        flux += g[3, k, i, j] * (v[k, i - 1, j] - vc)
                    current = hc * vc * vc * (one - vc) * k_in - vc * k_out
                    new = vc + dt32 * (current + flux)
                    scratch[i, j] = new
                    if vc < gate:
                        h[k, i, j] = hc + (one - hc) * k_open
                    else:
                        h[k, i, j] = hc - hc * k_close
                    if vc < upstroke <= new and conducting[k, i, j]:
                        if not after:
                            if marks[0, k, i, j] == np.inf:
                                marks[0, k, i, j] = t_next
                        else:
                            if marks[1, k, i, j] == np.inf:
                                marks[1, k, i, j] = t_next
                            marks[2, k, i, j] = t_next
                            count[k, i, j] += 1
                            fired[k] = t_next
            v[k] = scratch


def _run(
    s: _Sheets,
    owner: np.ndarray,
    t_s2: np.ndarray,
    results: dict[str, np.ndarray],
    timing: tuple[float, float, float, float],
) -> None:
    """Step every sheet until its activity ends, ``sustain`` ms after its S2 or at
    ``t_max``; write each finished sheet's summaries into ``results`` (by ``row``).

    ``s`` holds one sheet per sample: a sample's sheets are the same until the first
    S2, so they are stepped as one until a whole number of check intervals before
    every S2 (and ``t_max``), then copied (``owner``: the sample of each sheet,
    ``t_s2``: its S2 time). ``timing`` is ``(dt, sustain, ps_every, t_max)``.
    """
    dt, sustain, ps_every, t_max = timing
    if not len(owner):
        return
    ps_steps = max(1, round(ps_every / dt))
    scratch = np.empty(s.v.shape[1:], dtype=np.float32)
    shared = min(float(t_s2.min()), t_max) / (dt * ps_steps)
    step = ps_steps * max(0, math.floor(shared) - 1)
    _advance(
        s.v, s.h, s.g, s.taus, s.t_s2, s.s2_region, s.conducting, s.marks, s.count,
        s.fired, scratch, 0, step, dt,
    )  # fmt: skip
    s.take(owner)
    s.row, s.t_s2 = np.arange(len(owner)), t_s2
    while len(s.row):
        _advance(
            s.v, s.h, s.g, s.taus, s.t_s2, s.s2_region, s.conducting, s.marks, s.count,
            s.fired, scratch, step, ps_steps, dt,
        )  # fmt: skip
        step += ps_steps
        t = step * dt
        excited = (s.v > V_GATE).any(axis=(1, 2))
        s.alive_until[excited] = t
        counting = t >= s.t_s2 + 50.0
        if counting.any():
            found = phase_singularities(
                s.v[counting], s.h[counting], s.h_centre[counting], s.conducting[counting]
            )
            s.ps_sum[counting] += found
            s.ps_checks[counting] += 1
        done = (t > s.t_s2 + sustain) | ((t > s.t_s2 + 5.0) & ~excited) | (t >= t_max)
        if done.any():
            _summarise(s, done, results, sustain)
            s.take(~done)


def _summarise(
    s: _Sheets, done: np.ndarray, results: dict[str, np.ndarray], sustain: float
) -> None:
    """Per finished sheet: sustained (still excited at the horizon), re-entry duration
    (S2 to the last activation, if some site fired twice after S2), the mean number of
    phase singularities, the mean cycle length, and the S1 activation map."""
    rows = s.row[done]
    end = s.t_s2[done] + sustain
    results["sustained"][rows] = s.alive_until[done] >= end
    count, marks = s.count[done], s.marks[:, done]
    reentered = count.max(axis=(1, 2)) >= 2
    results["duration"][rows] = np.where(
        reentered, np.minimum(s.fired[done], end) - s.t_s2[done], 0.0
    )
    results["ps"][rows] = s.ps_sum[done] / np.maximum(s.ps_checks[done], 1)
    with np.errstate(invalid="ignore"):  # inf - inf where a site never fired
        cycles = np.where(count >= 3, (marks[2] - marks[1]) / np.maximum(count - 1, 1), np.nan)
    results["cycle"][rows] = [
        np.median(c[np.isfinite(c)]) if np.isfinite(c).any() else 0.0 for c in cycles
    ]
    results["first"][rows] = marks[0]


def tissue_reentry(
    conductivity: ArrayLike,
    tau_in: ArrayLike,
    tau_out: ArrayLike,
    tau_open: ArrayLike,
    tau_close: ArrayLike,
    fibrosis: ArrayLike,
    pattern: ArrayLike,
    apd: ArrayLike,
    *,
    seed: int = 0,
    n: int = 80,
    ny: int | None = None,
    dx: float = 0.5,
    dt: float = 0.1,
    s1_mm: float = 1.5,
    s2_delays: tuple[float, ...] = (20.0, 40.0, 60.0, 80.0, 100.0, 120.0),
    sustain: float = 500.0,
    ps_every: float = 5.0,
    t_max: float = math.inf,
) -> dict[str, np.ndarray]:
    """Macro step: S1-S2 cross-field protocol on a fibrotic sheet (monodomain).

    Parameters
    ----------
    conductivity
        ``sigma``, the monodomain diffusion coefficient (mm^2/ms).
    tau_in, tau_out, tau_open, tau_close
        Mitchell-Schaeffer time constants (ms; cell scale).
    fibrosis
        Fraction of fibrotic (non-conducting) sites.
    pattern
        Chooses the fibrosis pattern (any float; e.g. uniform on [0, 1]).
    apd
        The cell's APD at full recovery (ms): S2 comes ``apd + delay`` after S1.
    seed
        Seed shared by all samples (the study's).
    n, ny, dx
        Sites along x and along y (``n`` if not given) and their spacing (mm).
    dt
        Time step (ms).
    s1_mm
        Width of the S1 strip at the left edge (mm).
    s2_delays
        Delays of the S2 (lower-left quadrant) after ``apd`` (ms), evenly spaced: one
        sheet each.
    sustain
        Re-entry is sustained if the sheet is still excited this long after S2 (ms).
    ps_every
        Interval of the activity and phase-singularity checks (ms).
    t_max
        Every sheet stops at this time (ms; e.g. to measure the S1 wave alone).

    Returns
    -------
    dict
        ``reentry`` (1 if some S2 timing gives sustained re-entry),
        ``vulnerable_window`` (ms: the S2 timings that do, times their spacing),
        ``reentry_duration`` (ms, the longest over the timings: from S2 to the last
        activation, where some site fired twice after S2; at most ``sustain``),
        ``phase_singularities`` (their mean number in that sheet), ``cycle_length``
        (ms, median over its sites of their mean activation interval; 0 without
        re-entry), ``cv`` (mm/ms, of the S1 wave; 0 on conduction block) and
        ``blocked`` (share of conducting sites the S1 wave did not reach).
    """
    inputs = [
        np.asarray(a, dtype=float).ravel()
        for a in np.broadcast_arrays(
            conductivity, tau_in, tau_out, tau_open, tau_close, fibrosis, pattern, apd
        )
    ]
    sigma, t_in, t_out, t_open, t_close, fib, pat, apd_ = inputs
    if (sigma > dx**2 / (4.0 * dt)).any():
        raise ValueError(
            f"dt = {dt} ms is above the explicit stability limit dx^2 / (4 sigma)"
            f" = {dx**2 / (4.0 * sigma.max()):.3g} ms for sigma = {sigma.max():.3g}"
        )
    batch, k = len(sigma), len(s2_delays)
    s1 = max(1, round(s1_mm / dx))
    ny = n if ny is None else int(ny)
    conducting = (
        np.stack([fibrosis_pattern(f, q, seed, (ny, n), s1) for f, q in zip(fib, pat, strict=True)])
        if batch
        else np.zeros((0, ny, n), dtype=bool)
    )
    owner = np.repeat(np.arange(batch), k)
    quadrant = np.zeros((ny, n), dtype=bool)
    quadrant[: max(1, ny // 2), : n // 2] = True
    rows = batch * k
    v = np.zeros((batch, ny, n), dtype=np.float32)
    v[:, :, :s1] = 1.0
    h_min = 4.0 * t_in / t_out
    sheets = _Sheets(  # one per sample until _run copies them for the S2 timings
        row=np.arange(batch),
        t_s2=np.full(batch, np.inf),
        taus=np.stack([t_in, t_out, t_open, t_close], axis=1).astype(np.float32),
        h_centre=h_min + H_CENTRE * (1.0 - h_min),
        g=_couplings(conducting, sigma, dx).astype(np.float32),
        conducting=conducting,
        s2_region=conducting & quadrant,
        v=v,
        h=np.ones_like(v),
        marks=np.full((3, *v.shape), np.inf),
        count=np.zeros(v.shape, dtype=np.int32),
        ps_sum=np.zeros(batch),
        ps_checks=np.zeros(batch),
        fired=np.zeros(batch),
        alive_until=np.zeros(batch),
    )
    sheets.marks[0, :, :, :s1] = 0.0
    results = {
        "sustained": np.zeros(rows, dtype=bool),
        "duration": np.zeros(rows),
        "ps": np.zeros(rows),
        "cycle": np.zeros(rows),
        "first": np.full((rows, ny, n), np.inf),
    }
    t_s2 = apd_[owner] + np.tile(np.asarray(s2_delays, float), batch)
    _run(sheets, owner, t_s2, results, (dt, sustain, ps_every, t_max))
    sustained = results["sustained"].reshape(batch, k)
    duration = results["duration"].reshape(batch, k)
    longest = np.argmax(duration, axis=1) if k else np.zeros(batch, dtype=int)
    pick = np.arange(batch) * k + longest
    first = results["first"][np.arange(batch) * k]
    reached = np.isfinite(first) & conducting
    spacing = float(np.diff(s2_delays).mean()) if k > 1 else 1.0
    has = duration.max(axis=1, initial=0.0) > 0
    return {
        "reentry": sustained.any(axis=1).astype(float),
        "vulnerable_window": sustained.sum(axis=1) * spacing,
        "reentry_duration": duration.max(axis=1, initial=0.0),
        "phase_singularities": np.where(has, results["ps"][pick], 0.0),
        "cycle_length": np.where(has, results["cycle"][pick], 0.0),
        "cv": _velocity(first, conducting, dx),
        "blocked": 1.0 - reached.sum(axis=(1, 2)) / conducting.sum(axis=(1, 2)),
    }
