"""Green-Kubo plasma viscosity, blood's apparent viscosity, and Stokes flow in a
capillary network: three coupled scales.

micro
    :func:`plasma_viscosity`: a Langevin (Ornstein-Uhlenbeck) model of the shear
    stress of plasma, a Maxwell fluid of high-frequency shear modulus ``G`` and stress
    relaxation time ``tau``, in a simulation box of volume ``V``. The stress
    autocorrelation, integrated by Green-Kubo, gives the viscosity
    ``mu = V / (k_B T) int_0^inf <P_xy(0) P_xy(t)> dt`` (exactly ``G tau`` for this
    model) with the statistical error of a finite simulation.
meso
    :func:`apparent_viscosity`: blood's relative apparent viscosity in a tube of
    diameter ``d`` at discharge haematocrit ``H`` (Pries et al. 1992, in vitro; the
    Fahraeus-Lindqvist effect), for every vessel of the network.
macro
    :func:`network_flow`: Poiseuille segments, Kirchhoff's law at the nodes solved as
    a linear system for the node pressures, with a given inflow; the pressure drop,
    the worst-perfused capillary and the largest Reynolds number (Stokes flow needs
    ``Re << 1``).

Units: stress in MPa, time in ps (micro); viscosity in mPa s; diameters and lengths
in micrometres; flow in pL/s; pressure in mmHg.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import lfilter

BOLTZMANN = 1.380649e-23
"""J/K."""
MMHG = 133.322387415
"""Pa per mmHg."""
BLOOD_DENSITY = 1050.0
"""kg/m^3."""

# The capillary ladder: inlet arteriole 0-1, capillaries 1-2 .. 5-6 with two
# anastomoses (2-3 and 4-5), outlet venule 6-7. Node 0 takes the inflow; node 7 is held
# at zero pressure. Per segment: (from, to, diameter, length); a number multiplies the
# capillary diameter / length, a string names a fixed size in SIZES.
LADDER = (
    (0, 1, "arteriole_um", "arteriole_length_um"),
    (1, 2, 1.00, 1.0), (1, 3, 0.80, 1.0),
    (2, 4, 0.90, 1.0), (3, 5, 1.20, 1.0),
    (2, 3, 0.70, 0.5), (4, 5, 0.75, 0.5),
    (4, 6, 1.10, 1.0), (5, 6, 0.95, 1.0),
    (6, 7, "venule_um", "venule_length_um"),
)
SINGLE = ((0, 1, 1.0, 1.0),)
"""One capillary from the inlet to the outlet (Poiseuille's law holds exactly)."""
NETWORKS = {"ladder": LADDER, "single": SINGLE}
CAPILLARIES = {"ladder": (1, 2, 3, 4, 7, 8), "single": (0,)}
"""Segments counted as capillaries for the least capillary flow (no anastomoses)."""
SIZES = {"arteriole_um": 12.0, "arteriole_length_um": 200.0, "venule_um": 16.0,
         "venule_length_um": 200.0}
"""Fixed sizes (um) of the ladder's arteriole and venule."""


def _seed_key(value: float) -> int:
    """The exact bits of a float as an integer: a deterministic seed component."""
    return int(np.float64(value).view(np.uint64))


def stress_signal(variance: float, tau: float, rng: np.random.Generator, n_steps: int,
                  dt: float) -> np.ndarray:
    """A stationary Ornstein-Uhlenbeck signal, sampled exactly (no time-step error).

    Parameters
    ----------
    variance, tau
        Variance ``s^2`` and correlation time of the signal: its autocorrelation is
        ``s^2 exp(-|t| / tau)``.
    rng
        Source of the Gaussian noise.
    n_steps, dt
        Number of samples and their spacing (same time unit as ``tau``).
    """
    a = np.exp(-dt / tau)
    s = np.sqrt(variance)
    xi = rng.standard_normal(n_steps + 1)
    return lfilter([s * np.sqrt(1.0 - a * a)], [1.0, -a], xi[1:], zi=[a * s * xi[0]])[0]


def green_kubo_integral(signal: np.ndarray, dt: float, cutoff: float, n_blocks: int
                        ) -> tuple[float, float]:
    """``int_0^cutoff <x(0) x(t)> dt`` and its standard error, by block averaging.

    The signal is cut into ``n_blocks`` blocks; in each, the unbiased autocorrelation
    (FFT, zero-padded) is integrated by the trapezoidal rule up to ``cutoff``. The
    estimate is the blocks' mean and its error their standard deviation over
    ``sqrt(n_blocks)``.

    Examples
    --------
    >>> x = stress_signal(1.0, 1.0, np.random.default_rng(1), 400_000, 0.1)
    >>> value, error = green_kubo_integral(x, 0.1, 10.0, 10)
    >>> abs(value - 1.0) < 4 * error < 0.2
    True
    """
    lags = int(np.ceil(cutoff / dt)) + 1
    length = len(signal) // n_blocks
    if length <= lags:
        raise ValueError(f"blocks of {length} samples are shorter than the cutoff "
                         f"({lags} lags); use more steps or fewer blocks")
    blocks = signal[: length * n_blocks].reshape(n_blocks, length)
    nfft = 1 << int(np.ceil(np.log2(length + lags)))
    spectrum = np.fft.rfft(blocks, nfft, axis=1)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), nfft, axis=1)[:, :lags]
    acf /= length - np.arange(lags)
    integrals = dt * (acf.sum(axis=1) - 0.5 * (acf[:, 0] + acf[:, -1]))
    return float(integrals.mean()), float(integrals.std(ddof=1) / np.sqrt(n_blocks))


def plasma_viscosity(shear_modulus: ArrayLike, relaxation_time: ArrayLike, replica: ArrayLike,
                     *, seed: int = 0, n_steps: int = 100_000, dt: float = 0.05,
                     cutoff: float = 5.0, n_blocks: int = 10, temperature: float = 310.0,
                     box_nm: float = 4.0, estimator: str = "green_kubo"
                     ) -> dict[str, np.ndarray]:
    """Micro step: plasma viscosity from a Green-Kubo integral of a Langevin stress.

    The shear stress ``P_xy`` of a box of volume ``V = box_nm^3`` is an
    Ornstein-Uhlenbeck process of variance ``s^2 = G k_B T / V`` and correlation time
    ``tau``; ``mu = V / (k_B T) int <P_xy(0) P_xy(t)> dt = G tau`` in the limit of an
    infinite simulation. The noise of sample ``i`` is seeded from ``seed`` and the
    exact bits of ``replica[i]``, so a sample is reproducible and the noise
    realisation is an input of its own.

    Parameters
    ----------
    shear_modulus
        ``G``, high-frequency shear modulus (GPa).
    relaxation_time
        ``tau``, stress relaxation time (ps).
    replica
        Chooses the noise realisation (any float; e.g. uniform on [0, 1]).
    seed
        Seed shared by all samples.
    n_steps, dt, cutoff, n_blocks
        Signal length and spacing (ps), upper limit of the integral (ps), blocks for
        the standard error.
    temperature, box_nm
        Temperature (K) and box edge (nm).
    estimator
        ``green_kubo`` (simulate) or ``maxwell`` (the exact ``G tau``, zero error:
        verifies the steps downstream on their own).

    Returns
    -------
    dict
        ``gk_integral`` (MPa^2 ps), ``gk_stderr`` (its standard error, MPa^2 ps),
        ``mu_plasma`` (mPa s).
    """
    g = np.asarray(shear_modulus, dtype=float)
    tau = np.asarray(relaxation_time, dtype=float)
    replica = np.asarray(replica, dtype=float)
    volume = (box_nm * 1e-9) ** 3
    variance = g * 1e9 * BOLTZMANN * temperature / volume / 1e12   # MPa^2
    if estimator == "maxwell":
        integral, error = variance * tau, np.zeros_like(variance)
    elif estimator == "green_kubo":
        integral, error = np.empty_like(variance), np.empty_like(variance)
        for i in range(len(variance)):
            rng = np.random.default_rng([int(seed), _seed_key(replica[i])])
            signal = stress_signal(variance[i], tau[i], rng, int(n_steps), dt)
            integral[i], error[i] = green_kubo_integral(signal, dt, cutoff, int(n_blocks))
    else:
        raise ValueError(f"estimator must be 'green_kubo' or 'maxwell' (got {estimator!r})")
    # mu = V / (k_B T) * integral; MPa^2 ps = 1 Pa^2 s; to mPa s.
    to_mpas = 1e3 * volume / (BOLTZMANN * temperature)
    return {"gk_integral": integral, "gk_stderr": error, "mu_plasma": integral * to_mpas}


def pries_viscosity(diameter: ArrayLike, haematocrit: ArrayLike) -> np.ndarray:
    """Relative apparent viscosity of blood in a glass tube (Pries et al. 1992).

    ``mu_0.45 = 220 exp(-1.3 d) + 3.2 - 2.44 exp(-0.06 d^0.645)`` at discharge
    haematocrit 0.45, and ``mu_rel = 1 + (mu_0.45 - 1) ((1 - H)^C - 1) /
    ((1 - 0.45)^C - 1)`` with ``C = (0.8 + exp(-0.075 d)) (-1 + 1 / (1 + 1e-11 d^12))
    + 1 / (1 + 1e-11 d^12)``; ``d`` in micrometres.

    Examples
    --------
    >>> float(pries_viscosity(6.8513, 0.45).round(4)), float(pries_viscosity(8.0, 0.0))
    (1.2472, 1.0)
    """
    d = np.asarray(diameter, dtype=float)
    h = np.asarray(haematocrit, dtype=float)
    mu45 = 220.0 * np.exp(-1.3 * d) + 3.2 - 2.44 * np.exp(-0.06 * d**0.645)
    sigmoid = 1.0 / (1.0 + 1e-11 * d**12)
    c = (0.8 + np.exp(-0.075 * d)) * (sigmoid - 1.0) + sigmoid
    return 1.0 + (mu45 - 1.0) * ((1.0 - h) ** c - 1.0) / (0.55**c - 1.0)


def minimum_diameter(haematocrit: ArrayLike, low: float = 3.0, high: float = 20.0,
                     points: int = 1701) -> np.ndarray:
    """The diameter (um) of least apparent viscosity at each haematocrit: a grid
    search refined by the parabola through the three best points."""
    h = np.atleast_1d(np.asarray(haematocrit, dtype=float))[:, None]
    d = np.linspace(low, high, points)
    mu = pries_viscosity(d[None, :], h)
    k = np.clip(mu.argmin(axis=1), 1, points - 2)
    rows = np.arange(len(h))
    left, mid, right = mu[rows, k - 1], mu[rows, k], mu[rows, k + 1]
    step = d[1] - d[0]
    return d[k] + 0.5 * step * (left - right) / (left - 2.0 * mid + right)


def segment_sizes(capillary_diameter: ArrayLike, capillary_length: ArrayLike,
                  network: str = "ladder") -> tuple[np.ndarray, np.ndarray]:
    """Diameters and lengths (um), ``(samples, segments)``, of the network's vessels."""
    cap = np.atleast_1d(np.asarray(capillary_diameter, dtype=float))[:, None]
    length = np.atleast_1d(np.asarray(capillary_length, dtype=float))[:, None]
    diameters, lengths = [], []
    for _, _, dsize, lsize in NETWORKS[network]:
        diameters.append(np.full(cap.shape, SIZES[dsize]) if isinstance(dsize, str)
                         else cap * dsize)
        lengths.append(np.full(length.shape, SIZES[lsize]) if isinstance(lsize, str)
                       else length * lsize)
    return np.hstack(diameters), np.hstack(lengths)


def apparent_viscosity(mu_plasma: ArrayLike, haematocrit: ArrayLike,
                       capillary_diameter: ArrayLike, *, network: str = "ladder"
                       ) -> dict[str, np.ndarray]:
    """Meso step: blood's apparent viscosity in every vessel of the network.

    Returns
    -------
    dict
        ``mu_rel_capillary`` (relative apparent viscosity at the capillary diameter),
        ``d_min_viscosity`` (um, the diameter of least viscosity at this haematocrit),
        ``mu_vessel`` (mPa s, per segment: a field over ``segment``).
    """
    mu_plasma = np.asarray(mu_plasma, dtype=float)
    diameters, _ = segment_sizes(capillary_diameter, np.ones_like(mu_plasma), network)
    h = np.asarray(haematocrit, dtype=float)
    return {"mu_rel_capillary": pries_viscosity(capillary_diameter, h),
            "d_min_viscosity": minimum_diameter(h),
            "mu_vessel": mu_plasma[:, None] * pries_viscosity(diameters, h[:, None])}


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


def network_flow(mu_vessel: ArrayLike, capillary_diameter: ArrayLike,
                 capillary_length: ArrayLike, inflow: ArrayLike, *, network: str = "ladder",
                 density: float = BLOOD_DENSITY) -> dict[str, np.ndarray]:
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
    mu = np.asarray(mu_vessel, dtype=float) * 1e-3                  # Pa s
    radius, length = diameters * 0.5e-6, lengths * 1e-6               # m
    conductance = np.pi * radius**4 / (8.0 * mu * length)          # m^3 / (Pa s)
    q_in = np.asarray(inflow, dtype=float) * 1e-15                   # m^3/s
    pressure = node_pressures(conductance, segments, q_in)
    ends = np.array([(a, b) for a, b, *_ in segments])
    flow = conductance * (pressure[:, ends[:, 0]] - pressure[:, ends[:, 1]])
    velocity = np.abs(flow) / (np.pi * radius**2)
    reynolds = density * velocity * diameters * 1e-6 / mu
    capillaries = list(CAPILLARIES[network])
    return {"pressure_drop": pressure[:, 0] / MMHG,
            "min_capillary_flow": np.abs(flow[:, capillaries]).min(axis=1) * 1e15,
            "reynolds_max": reynolds.max(axis=1)}
