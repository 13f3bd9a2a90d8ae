"""Immune cells (agents) and a cytokine field, coupled both ways on a 2-D tissue patch.

Micro step (:func:`immune_cell`): a cell activates when the fraction of its cytokine
receptors bound, ``c / (c + K_d)`` at equilibrium, exceeds ``activation_occupancy``,
that is above ``c_act = K_d theta / (1 - theta)``.

Macro step (:func:`tissue`): a periodic square of side ``domain`` (um) with an
infection focus at its centre releasing cytokine at ``source_strength``
(nM um^2/s, a Gaussian of radius ``focus_radius``, or a point at the centre node
when it is 0). The cytokine diffuses and decays,

    c_t = D lap(c) - k c + focus + sum over agents of (s_j - u_j) delta(x - x_j),

on an ``n x n`` grid, stepped exactly for sources held over each step in Fourier
space (the five-point Laplacian's symbol; an exponential integrator: stable for any
``dt``; steady point source: ``q / (2 pi D) K0(r / lambda)``, ``lambda = sqrt(D/k)``).
Each of ``n_agents`` immune cells, placed uniformly at random, reads ``c`` and its
gradient where it is (bilinear interpolation), activates above ``c_act`` (for good),
moves up the gradient with the receptor-law velocity
``chemotaxis K_d / (K_d + c)^2 grad c`` (at most ``max_speed``) plus a random walk
of diffusivity ``motility``, consumes cytokine through its receptors,
``u_j = V_u c / (K_d + c)`` (``uptake_capacity`` ``V_u``: receptors times their
internalisation rate; never more than its node holds), and, once activated, secretes
at ``secretion_rate`` (both deposited on the four nearest nodes), divides at
``proliferation_rate`` (its daughter activated, at its place) and, like every cell,
dies at ``death_rate``. A response either stays contained around the focus or
escalates: activated cells multiply, secrete, and push the cytokine above the
activation threshold on most of the patch. Consumption shortens the cytokine's
reach: a point source in tissue with a uniform uptake ``u`` (1/s) gives
``K0(r / lambda)``, ``lambda = sqrt(D / (k + u))``.

The field's integral obeys the exact balance ``M' = Q + sum_j (s_j - u_j) - k M``;
the scheme keeps it exactly for the step's sources (its zero Fourier mode), and
``balance_error`` compares the field's integral with a ledger of every agent's
secretion and uptake.

Randomness: each sample's agents draw from their own generator, seeded by the
``seed`` parameter (set it to the study's seed) together with the bits of the
sample's input values (``numpy.random.SeedSequence``). A sample's result is then
a deterministic function of its inputs: independent of batch, worker count and
resumption; the agents' noise is frozen per input point, and Sobol' indices count
its variance as part of the inputs' (mostly in total indices and interactions).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

Array = np.ndarray
CHUNK = 6
"""Samples stepped together. Their arrays (a 48 x 48 field: 18 KiB a sample) stay
below glibc's mmap threshold, 128 KiB, which Dask's workers keep fixed (they set
``MALLOC_TRIM_THRESHOLD_``): larger temporaries would be mapped and page-faulted
afresh at every step, which doubles the cost of a batch."""


def immune_cell(receptor_kd: Array, activation_occupancy: Array) -> dict[str, Array]:
    """The cytokine concentration at which a cell activates.

    Parameters
    ----------
    receptor_kd
        Dissociation constant of the cytokine receptor, nM.
    activation_occupancy
        Fraction of receptors bound at which the cell activates.

    Returns
    -------
    dict
        ``activation_threshold`` (nM).
    """
    kd, theta = (np.asarray(a, dtype=float) for a in (receptor_kd, activation_occupancy))
    return {"activation_threshold": kd * theta / (1.0 - theta)}


def sample_rng(seed: int, *values: float) -> np.random.Generator:
    """A generator seeded by ``seed`` and the exact bits of a sample's input values.

    Examples
    --------
    >>> a = sample_rng(7, 0.5, 2.0).standard_normal()
    >>> a == sample_rng(7, 0.5, 2.0).standard_normal() != sample_rng(7, 0.5, 2.5).standard_normal()
    True
    """
    words = np.frombuffer(np.asarray(values, dtype=np.float64).tobytes(), dtype=np.uint32)
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words.tolist()]))


MAX_EXPANSION = 10
"""A sample's cells stop dividing at this many times the initial count (which bounds
the cost of an escalating sample; it counts as escalated long before)."""


class Grid:
    """A periodic ``n x n`` grid of side ``domain`` and its Fourier symbols."""

    def __init__(self, n: int, domain: float) -> None:
        self.n, self.domain, self.h = n, domain, domain / n
        k = 2.0 * np.pi * np.fft.fftfreq(n, d=self.h)
        kr = 2.0 * np.pi * np.fft.rfftfreq(n, d=self.h)
        sx, sy = np.sin(k * self.h / 2.0) ** 2, np.sin(kr * self.h / 2.0) ** 2
        self.laplacian = -(4.0 / self.h**2) * (sx[:, None] + sy[None, :])  # rfft2 layout

    def nodes(self, position: Array) -> tuple[Array, Array, Array, Array]:
        """Lower-left node indices and bilinear weights of positions ``(..., 2)``."""
        scaled = position / self.h
        base = np.floor(scaled)
        frac = scaled - base
        i = base[..., 0].astype(int) % self.n
        j = base[..., 1].astype(int) % self.n
        return i, j, frac[..., 0], frac[..., 1]

    def sample(self, field: Array, owner: Array, i, j, fx, fy) -> tuple[Array, Array]:
        """Bilinear interpolant of ``field[owner]`` (``field``: batch, n, n) at agents,
        and its gradient ``(agents, 2)`` (constant across a cell in each direction)."""
        n, flat = self.n, field.reshape(-1)
        row, row1 = (owner * n + i) * n, (owner * n + (i + 1) % n) * n
        j1 = (j + 1) % n
        c00, c10 = flat[row + j], flat[row1 + j]
        c01, c11 = flat[row + j1], flat[row1 + j1]
        value = (1 - fx) * ((1 - fy) * c00 + fy * c01) + fx * ((1 - fy) * c10 + fy * c11)
        gx = (1 - fy) * (c10 - c00) + fy * (c11 - c01)
        gy = (1 - fx) * (c01 - c00) + fx * (c11 - c10)
        return value, np.stack([gx, gy], axis=1) / self.h


def _focus(grid: Grid, strength: Array, radius: float) -> Array:
    """The infection focus as a source density (batch, n, n), total ``strength``."""
    n, centre = grid.n, grid.n // 2
    shape = np.zeros((n, n))
    if radius <= 0:
        shape[centre, centre] = 1.0 / grid.h**2
    else:
        x = (np.arange(n) - centre) * grid.h
        r2 = x[:, None] ** 2 + x[None, :] ** 2
        shape = np.exp(-r2 / (2.0 * radius**2))
        shape /= shape.sum() * grid.h**2
    return strength[:, None, None] * shape[None]


def tissue(
    activation_threshold: Array,
    receptor_kd: Array,
    secretion_rate: Array,
    uptake_capacity: Array,
    proliferation_rate: Array,
    diffusivity: Array,
    decay: Array,
    source_strength: Array,
    n_agents: int = 200,
    domain: float = 1536.0,
    n: int = 48,
    focus_radius: float = 50.0,
    chemotaxis: float = 5.0,
    max_speed: float = 0.2,
    motility: float = 1.0,
    death_rate: float = 0.05,
    placement: str = "random",
    t_end: float = 12.0,
    dt: float = 120.0,
    seed: int = 0,
    profile_step: float = 64.0,
    profile_points: int = 13,
) -> dict[str, Array]:
    """Agents and cytokine field over ``t_end`` hours, a batch of samples at once.

    Parameters
    ----------
    activation_threshold
        Cytokine concentration that activates a cell, nM (micro step).
    receptor_kd
        Receptor dissociation constant, nM (chemotactic sensitivity and uptake).
    secretion_rate
        Cytokine released by an activated cell, nM um^2/s.
    uptake_capacity
        Largest receptor-mediated consumption of one cell, nM um^2/s.
    proliferation_rate
        Division rate of an activated cell, 1/h.
    diffusivity, decay, source_strength
        Cytokine diffusivity (um^2/s), decay rate (1/s), focus release (nM um^2/s).
    n_agents, domain, n
        Immune cells at the start, side of the periodic square (um), grid nodes per
        side.
    focus_radius
        Radius of the infection focus (um); 0 for a point source at the centre node.
    chemotaxis, max_speed, motility
        Chemotactic coefficient (um^2/s), speed limit (um/s), random motility (um^2/s).
    death_rate
        Death rate of every cell, 1/h.
    placement
        ``random`` (uniform) or ``lattice`` (a square lattice of ``n_agents`` points,
        on the grid's nodes when ``n_agents = n^2``).
    t_end, dt
        Horizon (h) and time step (s).
    seed
        Seed of the agents' randomness, mixed with each sample's input values.
    profile_step, profile_points
        Radii (um) of the ``cytokine_profile`` field: ``0, step, ...``.

    Returns
    -------
    dict
        ``activated_fraction`` (of the cells alive at ``t_end``), ``cell_count``
        (cells at ``t_end`` over ``n_agents``), ``inflamed_area`` (share of the patch
        above the activation threshold at ``t_end``), ``escalated`` (1 if that share
        is above one half), ``spread_time`` (h until it first was; ``t_end`` if
        never), ``peak_cytokine`` (nM, over space and time), ``total_cytokine``
        (nM mm^2 at ``t_end``), ``balance_error`` (field integral against the
        ledger of sources and sinks, relative) and the field ``cytokine_profile``
        (nM at ``t_end`` along the x axis from the focus).
    """
    if placement not in ("random", "lattice"):
        raise ValueError(f"placement must be random or lattice (got {placement!r})")
    columns = [
        np.asarray(a, dtype=float).ravel()
        for a in np.broadcast_arrays(
            activation_threshold,
            receptor_kd,
            secretion_rate,
            uptake_capacity,
            proliferation_rate,
            diffusivity,
            decay,
            source_strength,
        )
    ]
    settings = {
        "n_agents": int(n_agents),
        "grid": Grid(int(n), float(domain)),
        "focus_radius": focus_radius,
        "motion": (chemotaxis, max_speed, motility),
        "death_rate": death_rate,
        "placement": placement,
        "t_end": t_end,
        "dt": dt,
        "seed": seed,
        "radii": np.arange(int(profile_points)) * profile_step,
    }
    parts = [
        _simulate([c[a : a + CHUNK] for c in columns], **settings)
        for a in range(0, len(columns[0]), CHUNK)
    ]
    if not parts:
        return _simulate([c[:0] for c in columns], **settings)
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _lattice(count: int, domain: float) -> Array:
    side = round(np.sqrt(count))
    if side * side != count:
        raise ValueError(f"placement lattice needs a square number of agents (got {count})")
    x = np.arange(side) * (domain / side)
    return np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1).reshape(-1, 2)


class Agents:
    """The immune cells of a few samples, in one array sorted by sample: positions
    ``(agents, 2)``, the sample each belongs to, whether it is activated, and each
    sample's generator."""

    def __init__(
        self, rngs: list[np.random.Generator], count: int, domain: float, placement: str
    ) -> None:
        self.rngs, self.domain = rngs, domain
        if not count or not rngs:
            self.position = np.empty((0, 2))
        elif placement == "lattice":
            self.position = np.tile(_lattice(count, domain), (len(rngs), 1))
        else:
            self.position = np.concatenate([r.uniform(0.0, domain, (count, 2)) for r in rngs])
        self.owner = np.repeat(np.arange(len(rngs)), count)
        self.activated = np.zeros(len(self.owner), dtype=bool)

    def counts(self) -> Array:
        """Cells per sample."""
        return np.bincount(self.owner, minlength=len(self.rngs))

    def _draw(self, draw) -> Array:
        """``draw(rng, k)`` for each sample's ``k`` cells, in the agents' order."""
        return np.concatenate([draw(r, k) for r, k in zip(self.rngs, self.counts(), strict=True)])

    def step(
        self,
        grid: Grid,
        field: Array,
        threshold: Array,
        kd: Array,
        dt: float,
        motion: tuple[float, float, float],
    ) -> Array:
        """Activate where the field is above threshold, then move: receptor-law
        chemotaxis (speed at most ``max_speed``) plus a random walk. Returns the
        concentration each cell saw."""
        chemotaxis, max_speed, motility = motion
        c_here, gradient = grid.sample(field, self.owner, *grid.nodes(self.position))
        self.activated |= c_here > threshold[self.owner]
        kd = kd[self.owner]
        velocity = (chemotaxis * kd / (kd + c_here) ** 2)[:, None] * gradient
        speed = np.sqrt((velocity**2).sum(axis=1))
        velocity *= np.minimum(1.0, max_speed / np.maximum(speed, 1e-300))[:, None]
        noise = self._draw(lambda r, k: r.standard_normal((k, 2)))
        self.position = (
            self.position + velocity * dt + np.sqrt(2.0 * motility * dt) * noise
        ) % self.domain
        return c_here

    def renew(self, proliferation: Array, death: float, dt_hours: float, cap: int) -> None:
        """Deaths (every cell, rate ``death``) and divisions (activated cells, rate
        ``proliferation`` of their sample, below ``cap`` cells), from one draw each."""
        draw = self._draw(lambda r, k: r.random(k))
        p_death = death * dt_hours
        divides = (
            self.activated
            & (draw >= p_death)
            & (draw < p_death + proliferation[self.owner] * dt_hours)
            & (self.counts() < cap)[self.owner]
        )
        keep = draw >= p_death
        owner = np.concatenate([self.owner[keep], self.owner[divides]])
        order = np.argsort(owner, kind="stable")
        self.owner = owner[order]
        self.position = np.concatenate([self.position[keep], self.position[divides]])[order]
        self.activated = np.concatenate([self.activated[keep], self.activated[divides]])[order]


def _simulate(
    inputs: list[Array],
    n_agents: int,
    grid: Grid,
    focus_radius: float,
    motion: tuple[float, float, float],
    death_rate: float,
    placement: str,
    t_end: float,
    dt: float,
    seed: int,
    radii: Array,
) -> dict[str, Array]:
    """:func:`tissue` for a few samples at once."""
    threshold, kd, secretion, capacity, proliferation, diff, kdecay, strength = inputs
    size = len(threshold)
    agents = Agents(
        [sample_rng(seed, *(c[s] for c in inputs)) for s in range(size)],
        n_agents,
        grid.domain,
        placement,
    )
    sigma = kdecay[:, None, None] - diff[:, None, None] * grid.laplacian[None]
    decay_step = np.exp(-sigma * dt)
    gain = (1.0 - decay_step) / sigma
    focus_hat = scipy.fft.rfft2(_focus(grid, strength, focus_radius))
    field = np.zeros((size, grid.n, grid.n))
    field_hat = scipy.fft.rfft2(field)
    ledger = np.zeros(size)  # the field's integral from the balance
    peak, spread, area_before = np.zeros(size), np.full(size, np.nan), np.zeros(size)
    area = np.zeros(size)
    node_area = grid.h**2
    for step in range(1, round(t_end * 3600.0 / dt) + 1):
        source_hat, net = focus_hat, strength.copy()
        if len(agents.owner):
            c_here = np.maximum(agents.step(grid, field, threshold, kd, dt, motion), 0.0)
            uptake = np.minimum(
                capacity[agents.owner] * c_here / (kd[agents.owner] + c_here),
                c_here * node_area / dt,
            )
            released = secretion[agents.owner] * agents.activated - uptake
            net += np.bincount(agents.owner, weights=released, minlength=size)
            source_hat = focus_hat + scipy.fft.rfft2(
                _deposit(grid, released, agents.owner, grid.nodes(agents.position), size)
            )
            agents.renew(proliferation, death_rate, dt / 3600.0, MAX_EXPANSION * n_agents)
        field_hat = decay_step * field_hat + gain * source_hat
        ledger = decay_step[:, 0, 0] * ledger + gain[:, 0, 0] * net
        field = scipy.fft.irfft2(field_hat, s=(grid.n, grid.n))
        peak = np.maximum(peak, field.max(axis=(1, 2)))
        area = (field > threshold[:, None, None]).mean(axis=(1, 2))
        crossed = np.isnan(spread) & (area >= 0.5)
        if crossed.any():
            fraction = (0.5 - area_before[crossed]) / (area[crossed] - area_before[crossed])
            spread[crossed] = (step - 1 + fraction) * dt / 3600.0
        area_before = area
    centre = grid.n // 2
    line = field[:, centre:, centre]
    profile = (
        np.stack([np.interp(radii, np.arange(line.shape[1]) * grid.h, row) for row in line])
        if size
        else np.empty((0, len(radii)))
    )
    alive = agents.counts()
    active = np.bincount(agents.owner[agents.activated], minlength=size)
    integral = field.sum(axis=(1, 2)) * node_area
    return {
        "activated_fraction": active / np.maximum(alive, 1),
        "cell_count": alive / max(n_agents, 1),
        "inflamed_area": area,
        "escalated": (area > 0.5).astype(float),
        "spread_time": np.where(np.isnan(spread), t_end, spread),
        "peak_cytokine": peak,
        "total_cytokine": integral / 1e6,
        "balance_error": np.abs(integral - ledger) / np.maximum(np.abs(ledger), 1e-300),
        "cytokine_profile": profile,
    }


def _deposit(grid: Grid, amount: Array, owner: Array, where, size: int) -> Array:
    """Cloud-in-cell deposit of each agent's ``amount`` on its four nodes, per area."""
    i, j, fx, fy = where
    n = grid.n
    i1, j1 = (i + 1) % n, (j + 1) % n
    index = np.concatenate(
        [
            (owner * n + i) * n + j,
            (owner * n + i1) * n + j,
            (owner * n + i) * n + j1,
            (owner * n + i1) * n + j1,
        ]
    )
    weights = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    total = np.bincount(index, weights=np.tile(amount, 4) * weights, minlength=size * n * n)
    return total.reshape(size, n, n) / grid.h**2
