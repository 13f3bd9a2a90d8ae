"""Drug transport in a tumour medium without a representative elementary volume:
random walkers on a long-range correlated medium (micro) against the homogenised
Fickian and the fractional models fitted to them (macro).

micro
    :func:`medium_walk`: a 2-D periodic lattice of sites (one cell each) whose
    diffusivity is ``D(x) = D0 exp(s g(x))``, ``g`` a Gaussian field of unit variance
    synthesised spectrally with power spectrum ``|k|^-beta``: for ``0 < beta < 2``
    its correlation decays like ``r^(beta - 2)``, so the variance of a window's
    effective diffusivity falls like ``L^(beta - 2)``, not like a homogenisable
    medium's ``1 / area = L^-2`` (the REV test, ``rev_slope``). Transport on the medium
    itself: the random trap model, walkers waiting an exponential time of mean
    ``h^2 / (4 D(x))`` at each site and hopping to a neighbour at random, injected
    uniformly (as a drug leaving the vasculature, out of equilibrium with the traps).
    Its homogenised (long-time) diffusivity is the harmonic mean of ``D``; the
    mean-square displacement of the walkers, fitted as ``A t^gamma`` over the
    exposure, gives the exponent of the fractional model (``gamma < 1``: slow
    regions trap the walkers, subdiffusion; ``gamma > 1``: superdiffusion).
macro
    :func:`penetration`: one inter-vessel cell of a tumour (periodic, length
    ``spacing``), a drug bolus extravasated at the vessel, taken up by the cells at rate
    ``k``, transported by (a) Fick's law with the homogenised diffusivity and (b) the
    fractional model with the fitted ``gamma`` and ``A``: time-fractional diffusion
    (``gamma <= 1``, Fourier modes ``E_gamma(-K xi^2 t^gamma)``, ``K = A Gamma(1 +
    gamma) / 2``, by Talbot inversion of the Laplace transform) or a Levy flight of order
    ``alpha = 2 / gamma`` (``gamma > 1``, modes ``exp(-K |xi|^alpha t)``, ``K =
    (A / 2)^(alpha / 2)``); both spread like ``A t^gamma``. Uptake multiplies every mode
    by ``exp(-k t)``. Penetration is the median distance of the free drug from the
    vessel, finite for every order (a variance is not, for a Levy flight).

Units: the micro step in lattice units (site ``h``, time ``h^2 / D0``); the macro
step in micrometres and seconds, concentrations relative to plasma.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.special import gamma as gamma_function

TALBOT_NODES = 24
"""Nodes of the fixed Talbot contour (Abate & Valko 2004): ~1e-10 here in double."""


def _seed_key(value: float) -> int:
    """The exact bits of a float as an integer: a deterministic seed component."""
    return int(np.float64(value).view(np.uint64))


def power_law_field(n: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """A periodic ``n x n`` Gaussian field of zero mean and unit variance with power
    spectrum ``|k|^-beta`` (``beta = 0``: white noise), by spectral synthesis."""
    k = np.fft.fftfreq(n)
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    amplitude = np.where(k2 > 0, k2, np.inf) ** (-beta / 4.0)
    noise = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    field = np.fft.ifft2(amplitude * noise).real
    return (field - field.mean()) / field.std()


def window_variance(diffusivity: np.ndarray, sizes: ArrayLike) -> np.ndarray:
    """Variance over non-overlapping ``L x L`` windows of each window's effective
    diffusivity (the harmonic mean: the trap model's homogenised value), per size."""
    n = diffusivity.shape[0]
    out = []
    for size in np.asarray(sizes, dtype=int):
        m = n // size
        tiles = diffusivity[: m * size, : m * size].reshape(m, size, m, size)
        out.append(np.var(1.0 / (1.0 / tiles).mean(axis=(1, 3)), ddof=1))
    return np.array(out)


def log_slope(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Least-squares fit ``y = c x^p``: returns ``(p, c)``, NaN if ``y`` is not positive."""
    y = np.asarray(y, dtype=float)
    if np.any(y <= 0):
        return float("nan"), float("nan")
    p, log_c = np.polyfit(np.log(x), np.log(y), 1)
    return float(p), float(np.exp(log_c))


@njit
def trap_walk(
    mean_wait: np.ndarray, starts: np.ndarray, times: np.ndarray, seed: int
) -> np.ndarray:
    """Random trap model on a periodic lattice: the squared displacement per axis,
    ``(|dx|^2 + |dy|^2) / 2``, of every walker at every observation time.

    Parameters
    ----------
    mean_wait
        ``(n, n)`` mean waiting time of each site (exponential waits).
    starts
        ``(walkers, 2)`` starting sites.
    times
        Increasing observation times.
    seed
        Seed of the walk's random numbers.
    """
    np.random.seed(seed)
    n = mean_wait.shape[0]
    out = np.empty((times.shape[0], starts.shape[0]))
    for w in range(starts.shape[0]):
        i, j = starts[w, 0], starts[w, 1]
        di = dj = 0
        clock = 0.0
        for k in range(times.shape[0]):
            while True:
                wait = -mean_wait[(i + di) % n, (j + dj) % n] * np.log(1.0 - np.random.random())
                if clock + wait > times[k]:
                    # memoryless: the residual wait is exponential again, so the walker
                    # may redraw after this observation without bias
                    clock = times[k]
                    break
                clock += wait
                step = np.random.randint(4)
                if step == 0:
                    di += 1
                elif step == 1:
                    di -= 1
                elif step == 2:
                    dj += 1
                else:
                    dj -= 1
            out[k, w] = 0.5 * (di * di + dj * dj)
    return out


def medium_walk(
    spectral_exponent: ArrayLike,
    contrast: ArrayLike,
    replica: ArrayLike,
    *,
    seed: int = 0,
    sites: int = 512,
    walkers: int = 1000,
    t_first: float = 1.0,
    t_last: float = 480.0,
    n_times: int = 16,
    start: str = "uniform",
    windows: tuple[int, ...] = (4, 8, 16, 32, 64),
) -> dict[str, np.ndarray]:
    """Micro step: generate the medium, test for an REV, and walk on it.

    Parameters
    ----------
    spectral_exponent
        ``beta`` of the power spectrum ``|k|^-beta`` of ``log D`` (0: uncorrelated).
    contrast
        ``s``, the standard deviation of ``log D``.
    replica
        Chooses the medium and the walk (any float; e.g. uniform on [0, 1]).
    seed
        Seed shared by all samples.
    sites, walkers
        Lattice of ``sites x sites`` sites; number of walkers.
    t_first, t_last, n_times
        Log-spaced observation times (units ``h^2 / D0``) over which ``A t^gamma`` is fitted.
    start
        ``uniform`` (every site alike: injection) or ``equilibrium`` (sites in
        proportion to their waiting time: the walk's stationary state, in which the
        mean-square displacement is exactly ``2 D_hom t`` per axis).
    windows
        Window edges (sites) of the REV test.

    Returns
    -------
    dict
        ``msd_exponent`` (gamma), ``msd_coefficient`` (A, per axis, lattice units),
        ``d_homogenised`` (harmonic mean of ``D / D0``), ``msd_ratio`` (mean-square
        displacement per axis at ``t_last`` over ``2 D_hom t_last``: 1 for Fick),
        ``rev_slope`` (exponent of the window variance against the window edge; -2
        for a homogenisable medium; NaN for a uniform one, ``contrast = 0``).
    """
    beta = np.asarray(spectral_exponent, dtype=float)
    contrast = np.asarray(contrast, dtype=float)
    replica = np.asarray(replica, dtype=float)
    if start not in ("uniform", "equilibrium"):
        raise ValueError(f"start must be 'uniform' or 'equilibrium' (got {start!r})")
    times = np.geomspace(t_first, t_last, int(n_times))
    names = ("msd_exponent", "msd_coefficient", "d_homogenised", "msd_ratio", "rev_slope")
    out = {name: np.empty(beta.shape) for name in names}
    for i in range(len(beta)):
        rng = np.random.default_rng([int(seed), _seed_key(replica[i])])
        diffusivity = np.exp(contrast[i] * power_law_field(int(sites), beta[i], rng))
        mean_wait = 0.25 / diffusivity
        if start == "uniform":
            starts = rng.integers(0, int(sites), (int(walkers), 2))
        else:
            flat = rng.choice(mean_wait.size, int(walkers), p=(mean_wait / mean_wait.sum()).ravel())
            starts = np.stack(np.divmod(flat, int(sites)), axis=1)
        msd = trap_walk(mean_wait, starts, times, int(rng.integers(2**31))).mean(axis=1)
        d_hom = 1.0 / np.mean(1.0 / diffusivity)
        out["msd_exponent"][i], out["msd_coefficient"][i] = log_slope(times, msd)
        out["d_homogenised"][i] = d_hom
        out["msd_ratio"][i] = msd[-1] / (2.0 * d_hom * times[-1])
        out["rev_slope"][i] = log_slope(windows, window_variance(diffusivity, windows))[0]
    return out


def mittag_leffler_modes(rate: np.ndarray, order: float, t: float) -> np.ndarray:
    """``E_order(-rate t^order)`` for ``rate >= 0`` and ``0 < order <= 1``: the inverse
    Laplace transform of ``s^(order-1) / (s^order + rate)`` at ``t`` by the fixed
    Talbot contour (Abate & Valko 2004).

    Examples
    --------
    >>> from scipy.special import erfcx
    >>> z = np.array([0.0, 0.5, 3.0])
    >>> bool(np.allclose(mittag_leffler_modes(z, 0.5, 1.0), erfcx(z), atol=1e-9))
    True
    >>> bool(np.allclose(mittag_leffler_modes(z, 1.0, 2.0), np.exp(-2 * z), atol=1e-9))
    True
    """
    m = TALBOT_NODES
    r = 2.0 * m / (5.0 * t)
    theta = np.pi * np.arange(1, m) / m
    cot = 1.0 / np.tan(theta)
    s = r * theta * (cot + 1j)
    sigma = theta + (theta * cot - 1.0) * cot
    rate = np.asarray(rate, dtype=float)[..., None]

    def transform(p):
        return p ** (order - 1.0) / (p**order + rate)

    terms = np.exp(t * s) * transform(s) * (1.0 + 1j * sigma)
    value = 0.5 * transform(r + 0j)[..., 0] * np.exp(r * t) + terms.real.sum(axis=-1)
    return (r / m) * value.real


def fractional_modes(xi: np.ndarray, exponent: float, coefficient: float, t: float) -> np.ndarray:
    """Fourier modes at time ``t`` of the fractional model spreading like
    ``coefficient t^exponent`` per axis (see the module docstring)."""
    if exponent <= 1.0:
        k = coefficient * gamma_function(1.0 + exponent) / 2.0
        return mittag_leffler_modes(k * xi**2, exponent, t)
    alpha = 2.0 / exponent
    return np.exp(-((coefficient / 2.0) ** (alpha / 2.0)) * np.abs(xi) ** alpha * t)


def grid(spacing: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (um from the vessel, periodic), ``(samples, points)``, and angular
    wavenumbers (1/um), ``(samples, points // 2 + 1)``, of cells of length ``spacing``."""
    fraction = np.arange(points) / points
    fraction = np.where(fraction > 0.5, fraction - 1.0, fraction)
    modes = 2.0 * np.pi * np.arange(points // 2 + 1)
    return spacing[:, None] * fraction[None, :], modes[None, :] / spacing[:, None]


def bolus(x: np.ndarray, dose: float, width: float) -> np.ndarray:
    """A Gaussian bolus of total amount ``dose`` (um) and std ``width`` (um) at x = 0."""
    return dose * np.exp(-0.5 * (x / width) ** 2) / (np.sqrt(2.0 * np.pi) * width)


def median_distance(profile: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Median distance from the vessel (um) of the drug in ``profile`` (symmetric,
    ``grid``'s positions): where the mass between the vessel and ``|x|`` reaches half
    the half cell's (linear interpolation of the cumulative cell masses)."""
    half = np.flatnonzero(x[0] >= 0)
    order = half[np.argsort(x[0, half])]
    xs, values = x[:, order], profile[:, order]
    cells = 0.5 * (values[:, 1:] + values[:, :-1]) * np.diff(xs, axis=1)
    mass = np.concatenate([np.zeros((len(xs), 1)), np.cumsum(cells, axis=1)], axis=1)
    target = 0.5 * mass[:, -1:]
    j = np.clip((mass < target).sum(axis=1), 1, xs.shape[1] - 1)
    rows = np.arange(len(xs))
    m0, m1 = mass[rows, j - 1], mass[rows, j]
    return xs[rows, j - 1] + (target[:, 0] - m0) / (m1 - m0) * (xs[rows, j] - xs[rows, j - 1])


def fractional_moment(profile: np.ndarray, x: np.ndarray, order: float) -> np.ndarray:
    """``(<|x|^q>)^(1/q)`` (um) of ``profile`` over the cell: finite for ``q < alpha``."""
    weights = profile / profile.sum(axis=-1, keepdims=True)
    return (weights * np.abs(x) ** order).sum(axis=-1) ** (1.0 / order)


def penetration(
    msd_exponent: ArrayLike,
    msd_coefficient: ArrayLike,
    d_homogenised: ArrayLike,
    diffusivity: ArrayLike,
    uptake: ArrayLike,
    spacing: ArrayLike,
    *,
    site_um: float = 5.0,
    points: int = 1024,
    dose: float = 20.0,
    width: float = 5.0,
    moment_order: float = 0.5,
    t_end: float = 600.0,
    output_every: float = 60.0,
    snapshot: float = 60.0,
) -> dict[str, np.ndarray]:
    """Macro step: a bolus spreading from a vessel under the fitted fractional model and
    under the homogenised Fickian one, taken up by the cells on its way.

    Parameters
    ----------
    msd_exponent, msd_coefficient
        ``gamma`` and ``A`` (lattice units) of the walkers' spreading, ``A t^gamma``.
    d_homogenised
        Homogenised diffusivity over ``D0`` (the harmonic mean).
    diffusivity
        ``D0`` (um^2/s): the lattice's time unit is ``site_um^2 / D0``.
    uptake
        ``k`` (1/s), first-order uptake of the drug by cells.
    spacing
        Distance between vessels (um): the length of the periodic cell.
    site_um, points
        Lattice site (um); Fourier grid points per cell.
    dose, width
        Extravasated amount (plasma concentration times um) and bolus std (um).
    moment_order
        ``q`` of the fractional moment reported (below every order ``alpha``).
    t_end, output_every, snapshot
        End of the exposure, spacing of the reported times and the time at which the
        internalised fraction is reported (s).

    Returns
    -------
    dict
        ``median_depth`` (um, fractional model, at ``t_end``), ``median_depth_fick``
        (homogenised Fick), ``depth_ratio`` (their ratio), ``moment_depth`` (um,
        ``(<|x|^q>)^(1/q)`` of the fractional model at ``t_end``), ``internalised``
        (fraction of the dose in the cells at ``snapshot``, fractional model: mass
        conservation makes it ``1 - exp(-k t)``), ``median_depth_t`` (field over
        ``time``: the fractional model's median depth).
    """
    gamma = np.asarray(msd_exponent, dtype=float)
    coefficient = np.asarray(msd_coefficient, dtype=float)
    d0 = np.asarray(diffusivity, dtype=float)
    d_fick = np.asarray(d_homogenised, dtype=float) * d0
    uptake = np.asarray(uptake, dtype=float)
    spacing = np.asarray(spacing, dtype=float)
    # A h^2 / (h^2 / D0)^gamma: um^2 / s^gamma
    a_physical = coefficient * site_um**2 * (d0 / site_um**2) ** gamma
    times = output_every * np.arange(1, round(t_end / output_every) + 1)
    x, xi = grid(spacing, points)
    c0_hat = np.fft.rfft(bolus(x, dose, width), axis=-1)
    report = np.append(times, snapshot)
    free = np.empty((len(gamma), len(report), points))
    for i in range(len(gamma)):
        for k, t in enumerate(report):
            modes = fractional_modes(xi[i], gamma[i], a_physical[i], t) * np.exp(-uptake[i] * t)
            free[i, k] = np.fft.irfft(c0_hat[i] * modes, n=points)
    fick = np.fft.irfft(
        c0_hat * np.exp(-(d_fick[:, None] * xi**2 + uptake[:, None]) * t_end), n=points, axis=-1
    )
    depth_t = np.stack([median_distance(free[:, k], x) for k in range(len(times))], axis=1)
    reach, reach_fick = depth_t[:, -1], median_distance(fick, x)
    return {
        "median_depth": reach,
        "median_depth_fick": reach_fick,
        "depth_ratio": reach / reach_fick,
        "moment_depth": fractional_moment(free[:, len(times) - 1], x, moment_order),
        "internalised": 1.0 - free[:, -1].sum(axis=-1) * (spacing / points) / dose,
        "median_depth_t": depth_t,
    }
