"""Green-Kubo viscosity of a Lennard-Jones liquid, blood's apparent viscosity in
microvessels, and Stokes flow in a capillary network: three coupled scales.

micro
    :func:`plasma_viscosity`: molecular dynamics of a Lennard-Jones liquid (108 atoms,
    velocity Verlet; velocity rescaling to melt and equilibrate, then NVE). The shear
    stress autocorrelation, averaged over the three off-diagonal components and
    integrated by Green-Kubo, ``eta* = V / T* int_0^t_c <P_ab(0) P_ab(t)> dt``, gives
    the reduced viscosity with a block-average standard error. Corresponding states map
    it to plasma's solvent: the LJ energy is ``k_B T / T*`` at body temperature, the LJ
    diameter makes ``rho*`` water's number density, the mass is water's; the plasma's
    proteins multiply the solvent viscosity by ``plasma_ratio``.
meso
    :func:`apparent_viscosity`: blood's relative apparent viscosity in every vessel from
    its diameter and its discharge haematocrit, the in vivo law of Pries et al. (1994);
    the red cells split unevenly at the bifurcations (phase separation, Pries et al.
    1990), solved self-consistently with the flows.
macro
    :func:`network_flow`: Poiseuille segments, Kirchhoff's law at the nodes solved as
    a linear system for the node pressures, with a given inflow; the pressure drop,
    the worst-perfused capillary and the largest Reynolds number (Stokes flow needs
    ``Re << 1``).

Units: Lennard-Jones reduced units (micro); viscosity in mPa s; diameters and lengths
in micrometres; flow in pL/s; pressure in mmHg.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

BOLTZMANN = 1.380649e-23
"""J/K."""
MMHG = 133.322387415
"""Pa per mmHg."""
BLOOD_DENSITY = 1050.0
"""kg/m^3."""
BODY_TEMPERATURE = 310.15
"""K."""
WATER_NUMBER_DENSITY = 993.33 / 18.01528e-3 * 6.02214076e23
"""Water molecules per m^3 at 37 C (993.33 kg/m^3, IAPWS-95)."""
WATER_MOLECULE_MASS = 18.01528e-3 / 6.02214076e23
"""kg."""
REFERENCE_HAEMATOCRIT = 0.45
"""Discharge haematocrit at which Pries's ``mu_0.45`` holds."""
SURFACE_LAYER_UM = 1.1
"""Pries et al. (1994): the effective diameter is reduced by the endothelial surface layer,
``d / (d - 1.1 um)``."""

# The capillary ladder: inlet arteriole 0-1, capillaries 1-2 .. 5-6 with two
# anastomoses (2-3 and 4-5), outlet venule 6-7. Node 0 takes the inflow; node 7 is held
# at zero pressure. Per segment: (from, to, diameter, length); a number multiplies the
# capillary diameter / length, a string names a fixed size in SIZES.
LADDER = (
    (0, 1, "arteriole_um", "arteriole_length_um"),
    (1, 2, 1.00, 1.0),
    (1, 3, 0.80, 1.0),
    (2, 4, 0.90, 1.0),
    (3, 5, 1.20, 1.0),
    (2, 3, 0.70, 0.5),
    (4, 5, 0.75, 0.5),
    (4, 6, 1.10, 1.0),
    (5, 6, 0.95, 1.0),
    (6, 7, "venule_um", "venule_length_um"),
)
SINGLE = ((0, 1, 1.0, 1.0),)
"""One capillary from the inlet to the outlet (Poiseuille's law holds exactly)."""
NETWORKS = {"ladder": LADDER, "single": SINGLE}
CAPILLARIES = {"ladder": (1, 2, 3, 4, 7, 8), "single": (0,)}
"""Segments counted as capillaries for the least capillary flow (no anastomoses)."""
SIZES = {
    "arteriole_um": 12.0,
    "arteriole_length_um": 200.0,
    "venule_um": 16.0,
    "venule_length_um": 200.0,
}
"""Fixed sizes (um) of the ladder's arteriole and venule."""


def _seed_key(value: float) -> int:
    """The exact bits of a float as an integer: a deterministic seed component."""
    return int(np.float64(value).view(np.uint64))


def fcc_lattice(cells: int, density: float) -> tuple[np.ndarray, float]:
    """``4 cells^3`` atoms on a face-centred cubic lattice filling a cubic box at the
    reduced number density; returns the positions ``(n, 3)`` and the box edge."""
    basis = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5]])
    grid = np.stack(np.meshgrid(*[np.arange(cells)] * 3, indexing="ij"), -1).reshape(-1, 1, 3)
    box = (4 * cells**3 / density) ** (1.0 / 3.0)
    return (grid + basis).reshape(-1, 3) * (box / cells), float(box)


@njit(inline="always")
def _minimum_image(d: float, box: float, half: float) -> float:
    """The periodic image of a coordinate difference ``d`` in ``(-box, box)`` nearest 0."""
    if d > half:
        return d - box
    if d < -half:
        return d + box
    return d


@njit
def lj_forces(
    x: np.ndarray, box: float, cutoff: float, forces: np.ndarray
) -> tuple[float, float, float, float]:
    """Lennard-Jones forces (written into ``forces``), the potential energy and the
    virial's off-diagonal sums ``sum r_a F_b`` (xy, xz, yz) over pairs, minimum image.

    The potential ``4 (r^-12 - r^-6)`` is truncated at ``cutoff`` and shifted to zero
    there (the forces are not shifted). Positions must lie in ``[0, box)``.
    """
    n = x.shape[0]
    rc2 = cutoff * cutoff
    shift = 4.0 * (cutoff**-12 - cutoff**-6)
    half = 0.5 * box
    forces[:] = 0.0
    potential = wxy = wxz = wyz = 0.0
    for a in range(n - 1):
        fxa = fya = fza = 0.0
        for b in range(a + 1, n):
            dx = _minimum_image(x[a, 0] - x[b, 0], box, half)
            dy = _minimum_image(x[a, 1] - x[b, 1], box, half)
            dz = _minimum_image(x[a, 2] - x[b, 2], box, half)
            r2 = dx * dx + dy * dy + dz * dz
            if r2 < rc2:
                inv6 = 1.0 / (r2 * r2 * r2)
                scale = 24.0 * inv6 * (2.0 * inv6 - 1.0) / r2
                potential += 4.0 * inv6 * (inv6 - 1.0) - shift
                fx, fy, fz = scale * dx, scale * dy, scale * dz
                fxa += fx
                fya += fy
                fza += fz
                forces[b, 0] -= fx
                forces[b, 1] -= fy
                forces[b, 2] -= fz
                wxy += dx * fy
                wxz += dx * fz
                wyz += dy * fz
        forces[a, 0] += fxa
        forces[a, 1] += fya
        forces[a, 2] += fza
    return potential, wxy, wxz, wyz


@njit
def velocity_verlet(
    x: np.ndarray,
    v: np.ndarray,
    box: float,
    cutoff: float,
    dt: float,
    thermostat: np.ndarray,
    n_steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Molecular dynamics of unit-mass Lennard-Jones atoms (reduced units), in place.

    The first ``len(thermostat)`` steps rescale the velocities to the temperature
    ``thermostat[step]`` after each step; the next ``n_steps`` are NVE, sampling the
    shear stresses ``P_xy, P_xz, P_yz`` (kinetic plus virial, over the volume) and the
    total energy at every step.

    Returns
    -------
    tuple
        ``stress`` ``(3, n_steps)`` and ``energy`` ``(n_steps,)``.
    """
    n = x.shape[0]
    volume = box**3
    forces = np.empty_like(x)
    lj_forces(x, box, cutoff, forces)
    stress = np.empty((3, n_steps))
    energy = np.empty(n_steps)
    n_thermostat = thermostat.shape[0]
    for step in range(n_thermostat + n_steps):
        v += 0.5 * dt * forces
        x += dt * v
        x %= box
        potential, wxy, wxz, wyz = lj_forces(x, box, cutoff, forces)
        v += 0.5 * dt * forces
        if step < n_thermostat:
            v *= np.sqrt(thermostat[step] * 3.0 * (n - 1) / np.sum(v * v))
            continue
        k = step - n_thermostat
        stress[0, k] = (np.sum(v[:, 0] * v[:, 1]) + wxy) / volume
        stress[1, k] = (np.sum(v[:, 0] * v[:, 2]) + wxz) / volume
        stress[2, k] = (np.sum(v[:, 1] * v[:, 2]) + wyz) / volume
        energy[k] = potential + 0.5 * np.sum(v * v)
    return stress, energy


def green_kubo_integral(
    signal: np.ndarray, dt: float, cutoff: float, n_blocks: int
) -> tuple[float, float]:
    """``int_0^cutoff <x(0) x(t)> dt`` and its standard error, by block averaging.

    ``signal`` is ``(n,)`` or ``(components, n)``, the components being equivalent
    (their autocorrelations are averaged). The samples are cut into ``n_blocks``
    blocks; in each, the unbiased autocorrelation (FFT, zero-padded) is integrated by
    the trapezoidal rule up to ``cutoff``. The estimate is the blocks' mean and its
    error their standard deviation over ``sqrt(n_blocks)``.

    Examples
    --------
    A stationary AR(1) signal of unit variance and correlation time 1 integrates to 1:

    >>> from scipy.signal import lfilter
    >>> rng, a = np.random.default_rng(1), np.exp(-0.1)
    >>> noise = np.sqrt(1 - a * a) * rng.standard_normal(400_000)
    >>> x = lfilter([1.0], [1.0, -a], noise)
    >>> value, error = green_kubo_integral(x, 0.1, 10.0, 10)
    >>> abs(value - 1.0) < 4 * error < 0.2
    True
    """
    signal = np.atleast_2d(signal)
    lags = int(np.ceil(cutoff / dt - 1e-9)) + 1
    length = signal.shape[1] // n_blocks
    if length <= lags:
        raise ValueError(
            f"blocks of {length} samples are shorter than the cutoff "
            f"({lags} lags); use more steps or fewer blocks"
        )
    blocks = signal[:, : length * n_blocks].reshape(len(signal), n_blocks, length)
    nfft = 1 << int(np.ceil(np.log2(length + lags)))
    spectrum = np.fft.rfft(blocks, nfft, axis=2)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), nfft, axis=2)[..., :lags].mean(axis=0)
    acf /= length - np.arange(lags)
    integrals = dt * (acf.sum(axis=1) - 0.5 * (acf[:, 0] + acf[:, -1]))
    return float(integrals.mean()), float(integrals.std(ddof=1) / np.sqrt(n_blocks))


def lj_shear_viscosity(
    reduced_temperature: float,
    rng: np.random.Generator,
    *,
    cells: int,
    density: float,
    cutoff: float,
    dt: float,
    n_melt: int,
    n_equilibrate: int,
    n_steps: int,
    gk_cutoff: float,
    n_blocks: int,
    melt_temperature: float = 2.0,
) -> tuple[float, float]:
    """The reduced shear viscosity of a Lennard-Jones liquid and its standard error.

    An fcc lattice of ``4 cells^3`` atoms at ``density`` is melted (``n_melt`` steps
    rescaled to ``melt_temperature``), equilibrated (``n_equilibrate`` steps at
    ``reduced_temperature``), then run ``n_steps`` in NVE; the Green-Kubo integral
    of the three off-diagonal stresses to ``gk_cutoff`` is ``eta* T* / V``.
    """
    x, box = fcc_lattice(cells, density)
    if cutoff >= 0.5 * box:
        raise ValueError(
            f"the cutoff {cutoff} must be below half the box ({0.5 * box:.3f}) "
            f"for the minimum image; use more cells"
        )
    v = rng.standard_normal(x.shape)
    v -= v.mean(axis=0)
    thermostat = np.concatenate(
        [np.full(n_melt, melt_temperature), np.full(n_equilibrate, reduced_temperature)]
    )
    stress, _ = velocity_verlet(x, v, box, cutoff, dt, thermostat, n_steps)
    integral, error = green_kubo_integral(stress, dt, gk_cutoff, n_blocks)
    factor = box**3 / reduced_temperature
    return integral * factor, error * factor


def solvent_viscosity_unit(
    reduced_temperature: ArrayLike, density: float, temperature: float = BODY_TEMPERATURE
) -> np.ndarray:
    """The viscosity unit ``sqrt(m epsilon) / sigma^2`` (mPa s) of the corresponding-
    states map of a Lennard-Jones liquid onto water at ``temperature`` (K).

    ``epsilon = k_B T / T*``, ``sigma = (rho* / n_water)^(1/3)``, ``m`` = one water
    molecule; ``n_water`` is water's number density at body temperature.

    Examples
    --------
    >>> float(solvent_viscosity_unit(0.722, 0.8442).round(5))
    0.15406
    """
    epsilon = BOLTZMANN * temperature / np.asarray(reduced_temperature, dtype=float)
    sigma = (density / WATER_NUMBER_DENSITY) ** (1.0 / 3.0)
    return 1e3 * np.sqrt(WATER_MOLECULE_MASS * epsilon) / sigma**2


def plasma_viscosity(
    reduced_temperature: ArrayLike,
    replica: ArrayLike,
    plasma_ratio: ArrayLike,
    *,
    seed: int = 0,
    cells: int = 3,
    density: float = 0.8442,
    cutoff: float = 2.5,
    dt: float = 0.005,
    n_melt: int = 500,
    n_equilibrate: int = 1500,
    n_steps: int = 20_000,
    gk_cutoff: float = 2.0,
    n_blocks: int = 10,
    eta_star: float | None = None,
) -> dict[str, np.ndarray]:
    """Micro step: plasma viscosity from the Green-Kubo viscosity of a Lennard-Jones
    liquid, mapped to water by corresponding states, times the proteins' factor.

    The trajectory of sample ``i`` is seeded from ``seed`` and the exact bits of
    ``replica[i]``, so a sample is reproducible and its statistical error is an input.

    Parameters
    ----------
    reduced_temperature
        ``T* = k_B T / epsilon`` of the liquid (the LJ energy standing for water).
    replica
        Chooses the initial velocities (any float; e.g. uniform on [0, 1]).
    plasma_ratio
        Viscosity of plasma over that of its solvent, water (the proteins' share).
    seed
        Seed shared by all samples.
    cells, density, cutoff
        ``4 cells^3`` atoms at reduced density ``rho*``; LJ cutoff (sigma).
    dt, n_melt, n_equilibrate, n_steps
        Time step (reduced) and the numbers of melting, equilibration and NVE steps.
    gk_cutoff, n_blocks
        Upper limit of the Green-Kubo integral (reduced time); blocks for its error.
    eta_star
        If given, this reduced viscosity (e.g. a published value) in place of the
        simulation, with zero error: verifies the steps downstream on their own.

    Returns
    -------
    dict
        ``eta_star`` and ``eta_star_stderr`` (reduced), ``mu_solvent`` and
        ``mu_plasma`` (mPa s).
    """
    t_star = np.asarray(reduced_temperature, dtype=float)
    replica = np.asarray(replica, dtype=float)
    if eta_star is not None:
        eta, error = np.full(t_star.shape, float(eta_star)), np.zeros(t_star.shape)
    else:
        eta, error = np.empty(t_star.shape), np.empty(t_star.shape)
        for i in range(len(t_star)):
            rng = np.random.default_rng([int(seed), _seed_key(replica[i])])
            eta[i], error[i] = lj_shear_viscosity(
                t_star[i],
                rng,
                cells=int(cells),
                density=density,
                cutoff=cutoff,
                dt=dt,
                n_melt=int(n_melt),
                n_equilibrate=int(n_equilibrate),
                n_steps=int(n_steps),
                gk_cutoff=gk_cutoff,
                n_blocks=int(n_blocks),
            )
    mu_solvent = eta * solvent_viscosity_unit(t_star, density)
    return {
        "eta_star": eta,
        "eta_star_stderr": error,
        "mu_solvent": mu_solvent,
        "mu_plasma": mu_solvent * np.asarray(plasma_ratio, dtype=float),
    }


def pries_viscosity(diameter: ArrayLike, haematocrit: ArrayLike) -> np.ndarray:
    """Relative apparent viscosity of blood in microvessels in vivo (Pries et al. 1994).

    ``mu_rel = (1 + (mu_0.45 - 1) f(H) s^2) s^2`` with ``s = d / (d - 1.1)`` (the
    endothelial surface layer), ``mu_0.45 = 6 exp(-0.085 d) + 3.2 - 2.44 exp(-0.06
    d^0.645)``, the haematocrit factor ``f(H) = ((1 - H)^C - 1) / ((1 - 0.45)^C - 1)``
    and ``C = (0.8 + exp(-0.075 d)) (-1 + 1 / (1 + 1e-11 d^12)) + 1 / (1 + 1e-11
    d^12)``; ``d`` in micrometres, ``H`` the discharge haematocrit.

    Examples
    --------
    >>> float(pries_viscosity(6.5, 0.45).round(3)), float(pries_viscosity(11.0, 0.0).round(6))
    (9.125, 1.234568)
    """
    d = np.asarray(diameter, dtype=float)
    h = np.asarray(haematocrit, dtype=float)
    mu45 = 6.0 * np.exp(-0.085 * d) + 3.2 - 2.44 * np.exp(-0.06 * d**0.645)
    sigmoid = 1.0 / (1.0 + 1e-11 * d**12)
    c = (0.8 + np.exp(-0.075 * d)) * (sigmoid - 1.0) + sigmoid
    haematocrit_factor = ((1.0 - h) ** c - 1.0) / ((1.0 - REFERENCE_HAEMATOCRIT) ** c - 1.0)
    layer = (d / (d - SURFACE_LAYER_UM)) ** 2
    return (1.0 + (mu45 - 1.0) * haematocrit_factor * layer) * layer


def segment_sizes(
    capillary_diameter: ArrayLike, capillary_length: ArrayLike, network: str = "ladder"
) -> tuple[np.ndarray, np.ndarray]:
    """Diameters and lengths (um), ``(samples, segments)``, of the network's vessels."""
    cap = np.atleast_1d(np.asarray(capillary_diameter, dtype=float))[:, None]
    length = np.atleast_1d(np.asarray(capillary_length, dtype=float))[:, None]
    diameters, lengths = [], []
    for _, _, dsize, lsize in NETWORKS[network]:
        diameters.append(
            np.full(cap.shape, SIZES[dsize]) if isinstance(dsize, str) else cap * dsize
        )
        lengths.append(
            np.full(length.shape, SIZES[lsize]) if isinstance(lsize, str) else length * lsize
        )
    return np.hstack(diameters), np.hstack(lengths)


def node_pressures(conductance: np.ndarray, segments: tuple, inflow: np.ndarray) -> np.ndarray:
    """Pressures at every node, ``(samples, nodes)``: inflow into node 0, the last node
    held at zero, flow conserved at the others (Kirchhoff), solved per sample."""
    nodes = 1 + max(max(a, b) for a, b, *_ in segments)
    matrix = np.zeros((len(inflow), nodes, nodes))
    for k, (a, b, *_) in enumerate(segments):
        g = conductance[:, k]
        matrix[:, a, a] += g
        matrix[:, b, b] += g
        matrix[:, a, b] -= g
        matrix[:, b, a] -= g
    rhs = np.zeros((len(inflow), nodes - 1))
    rhs[:, 0] = inflow
    interior = np.linalg.solve(matrix[:, :-1, :-1], rhs[..., None])[..., 0]
    return np.concatenate([interior, np.zeros((len(inflow), 1))], axis=1)


def red_cell_fraction(
    blood_fraction: float, parent_hct: float, parent_d: float, d_a: float, d_b: float
) -> float:
    """Phase separation at a diverging bifurcation (Pries et al. 1990): the fraction of
    the parent's red-cell flux that enters daughter ``a``, given the fraction of the
    blood flow it takes.

    ``logit(FQE_a) = A + B logit((FQB_a - X0) / (1 - 2 X0))`` with ``A = -6.96
    ln(d_a / d_b) / d_F``, ``B = 1 + 6.98 (1 - H_F) / d_F``, ``X0 = 0.4 / d_F``
    (diameters in um); a daughter taking less than ``X0`` of the flow gets plasma only.

    Examples
    --------
    >>> red_cell_fraction(0.5, 0.45, 8.0, 6.0, 6.0), red_cell_fraction(0.04, 0.45, 8.0, 6.0, 6.0)
    (0.5, 0.0)
    """
    x0 = 0.4 / parent_d
    x = (blood_fraction - x0) / (1.0 - 2.0 * x0)
    if x <= 0.0 or x >= 1.0:
        return float(x >= 1.0)
    a = -6.96 * np.log(d_a / d_b) / parent_d
    b = 1.0 + 6.98 * (1.0 - parent_hct) / parent_d
    odds = np.exp(a) * (x / (1.0 - x)) ** b
    return float(odds / (1.0 + odds))


def split_red_cells(
    flow: np.ndarray, pressure: np.ndarray, diameters: np.ndarray, segments: tuple, feed_hct: float
) -> np.ndarray:
    """Discharge haematocrit of every segment for given flows: red cells conserved at
    every node, split by :func:`red_cell_fraction` where a node feeds two segments and
    mixed where two feed one. Nodes are visited from the highest pressure down, so
    every segment's feed is known before it is split; segment 0 leaves the inlet."""
    ends = np.array([(a, b) for a, b, *_ in segments])
    hct = np.full(len(segments), float(feed_hct))
    for node in np.argsort(-pressure):
        into = [
            k
            for k in range(len(segments))
            if (ends[k, 1] == node and flow[k] > 0) or (ends[k, 0] == node and flow[k] < 0)
        ]
        out = [
            k
            for k in range(len(segments))
            if (ends[k, 0] == node and flow[k] > 0) or (ends[k, 1] == node and flow[k] < 0)
        ]
        if not into or not out:
            continue
        q_in = sum(abs(flow[k]) for k in into)
        cells = sum(hct[k] * abs(flow[k]) for k in into)
        if len(out) == 1:
            hct[out[0]] = cells / q_in
            continue
        a, b = out
        parent = max(into, key=lambda k: abs(flow[k]))
        fraction = red_cell_fraction(
            abs(flow[a]) / q_in, cells / q_in, diameters[parent], diameters[a], diameters[b]
        )
        hct[a] = fraction * cells / abs(flow[a])
        hct[b] = (1.0 - fraction) * cells / abs(flow[b])
    return hct


def vessel_haematocrit(
    diameters: np.ndarray,
    lengths: np.ndarray,
    feed_hct: float,
    segments: tuple,
    iterations: int = 200,
    tol: float = 1e-12,
) -> np.ndarray:
    """Self-consistent discharge haematocrit of every segment of one network: viscosity
    (Pries 1994) from haematocrit, flows from viscosity (Poiseuille, Kirchhoff), red-cell
    split from flows, iterated with under-relaxation 1/2 to a fixed point. The split
    fractions do not depend on the inflow, nor on the capillary length when every
    capillary scales with it, so one network per sample serves all of them."""
    hct = np.full(len(segments), float(feed_hct))
    ends = np.array([(a, b) for a, b, *_ in segments])
    for _ in range(iterations):
        conductance = diameters**4 / (pries_viscosity(diameters, hct) * lengths)
        pressure = node_pressures(conductance[None], segments, np.ones(1))[0]
        flow = conductance * (pressure[ends[:, 0]] - pressure[ends[:, 1]])
        new = split_red_cells(flow, pressure, diameters, segments, feed_hct)
        if np.max(np.abs(new - hct)) < tol:
            return new
        hct = 0.5 * (hct + new)
    raise RuntimeError(f"phase separation did not converge in {iterations} iterations")


def apparent_viscosity(
    mu_plasma: ArrayLike,
    haematocrit: ArrayLike,
    capillary_diameter: ArrayLike,
    *,
    network: str = "ladder",
    phase_separation: bool = True,
) -> dict[str, np.ndarray]:
    """Meso step: blood's apparent viscosity in every vessel of the network.

    Parameters
    ----------
    mu_plasma
        Plasma viscosity (mPa s).
    haematocrit
        Discharge haematocrit of the blood entering the network.
    capillary_diameter
        Capillary diameter (um); the network's factors scale it.
    network
        ``ladder`` or ``single``.
    phase_separation
        Distribute the red cells over the vessels at the bifurcations (Pries et al.
        1990); otherwise every vessel carries the feed haematocrit.

    Returns
    -------
    dict
        ``mu_rel_capillary`` (relative apparent viscosity at the capillary diameter and
        the feed haematocrit), ``min_capillary_haematocrit`` (the least discharge
        haematocrit of a capillary), ``mu_vessel`` (mPa s, per segment: a field over
        ``segment``).
    """
    mu_plasma = np.asarray(mu_plasma, dtype=float)
    diameters, lengths = segment_sizes(capillary_diameter, np.ones_like(mu_plasma), network)
    h = np.asarray(haematocrit, dtype=float)
    segments = NETWORKS[network]
    vessel_hct = np.repeat(h[:, None], len(segments), axis=1)
    if phase_separation:
        vessel_hct = np.stack(
            [vessel_haematocrit(diameters[i], lengths[i], h[i], segments) for i in range(len(h))]
        )
    capillaries = list(CAPILLARIES[network])
    return {
        "mu_rel_capillary": pries_viscosity(capillary_diameter, h),
        "min_capillary_haematocrit": vessel_hct[:, capillaries].min(axis=1),
        "mu_vessel": mu_plasma[:, None] * pries_viscosity(diameters, vessel_hct),
    }


def network_flow(
    mu_vessel: ArrayLike,
    capillary_diameter: ArrayLike,
    capillary_length: ArrayLike,
    inflow: ArrayLike,
    *,
    network: str = "ladder",
    density: float = BLOOD_DENSITY,
) -> dict[str, np.ndarray]:
    """Macro step: Stokes flow through the network (Poiseuille segments).

    Each segment conducts ``Q = pi R^4 dP / (8 mu L)``; the node pressures solve
    Kirchhoff's law with ``inflow`` entering the first node and the last one at zero.

    Parameters
    ----------
    mu_vessel
        Apparent viscosity per segment (mPa s), ``(samples, segments)``.
    capillary_diameter, capillary_length
        Capillary diameter and length (um); the network's factors scale them.
    inflow
        Flow into the network (pL/s).
    network
        ``ladder`` or ``single``.
    density
        Blood density (kg/m^3), for the Reynolds number.

    Returns
    -------
    dict
        ``pressure_drop`` (mmHg), ``min_capillary_flow`` (pL/s, the least flow in a
        capillary, anastomoses excluded; the whole flow for ``single``),
        ``reynolds_max`` (the largest ``rho U d / mu`` of any segment).
    """
    segments = NETWORKS[network]
    diameters, lengths = segment_sizes(capillary_diameter, capillary_length, network)
    mu = np.asarray(mu_vessel, dtype=float) * 1e-3  # Pa s
    radius, length = diameters * 0.5e-6, lengths * 1e-6  # m
    conductance = np.pi * radius**4 / (8.0 * mu * length)  # m^3 / (Pa s)
    q_in = np.asarray(inflow, dtype=float) * 1e-15  # m^3/s
    pressure = node_pressures(conductance, segments, q_in)
    ends = np.array([(a, b) for a, b, *_ in segments])
    flow = conductance * (pressure[:, ends[:, 0]] - pressure[:, ends[:, 1]])
    velocity = np.abs(flow) / (np.pi * radius**2)
    reynolds = density * velocity * diameters * 1e-6 / mu
    capillaries = list(CAPILLARIES[network])
    return {
        "pressure_drop": pressure[:, 0] / MMHG,
        "min_capillary_flow": np.abs(flow[:, capillaries]).min(axis=1) * 1e15,
        "reynolds_max": reynolds.max(axis=1),
    }
