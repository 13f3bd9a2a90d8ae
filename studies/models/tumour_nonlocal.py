"""Drug penetration into a tumour with long-range correlated structure: fractional
(nonlocal) diffusion against Fick's law.

micro
    :func:`structure_closure`: the tumour's structure, summarised by the Hurst
    exponent ``H`` of its correlated channels and their correlation length ``l``, sets
    the order ``alpha`` of the transport operator and its coefficient ``K``. A
    persistent structure (``H > 1/2``) lets molecules make long excursions; a walk
    spreading like ``t^H`` is matched by a Levy flight, which spreads like
    ``t^(1/alpha)``: ``alpha = 1 / H`` (``H = 1/2``: Fick). ``K`` is matched to the
    effective Fickian diffusivity ``D`` at the correlation length, where the symbols
    agree: ``K l^-alpha = D l^-2``, so ``K = D l^(alpha - 2)``.
macro
    :func:`penetration`: one inter-vessel cell of a tumour (periodic, length
    ``spacing``), a drug bolus extravasated at the vessel (Gaussian, width
    ``w0``), transported by ``c_t = -K (-Laplacian)^(alpha/2) c - k c`` (first-order
    uptake by cells), solved exactly in time on a Fourier grid (symbol ``K |xi|^alpha``).
    The same problem with ``alpha = 2``, ``K = D`` is the Fickian reference.

Units: micrometres, seconds; concentrations relative to plasma.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def structure_closure(hurst: ArrayLike, correlation_length: ArrayLike, diffusivity: ArrayLike
                      ) -> dict[str, np.ndarray]:
    """Micro step: operator order and coefficient from the structure.

    Parameters
    ----------
    hurst
        Hurst exponent ``H`` of the structure, in ``[1/2, 1)``.
    correlation_length
        ``l`` (um), the scale up to which the structure is correlated.
    diffusivity
        ``D`` (um^2/s), the effective Fickian diffusivity at scale ``l``.

    Returns
    -------
    dict
        ``alpha = 1 / H`` and ``k_alpha``, ``K = D l^(alpha - 2)`` (um^alpha / s).

    Examples
    --------
    >>> out = structure_closure([0.5], [10.0], [20.0])
    >>> float(out["alpha"][0]), float(out["k_alpha"][0])
    (2.0, 20.0)
    """
    h = np.asarray(hurst, dtype=float)
    alpha = 1.0 / h
    length = np.asarray(correlation_length, dtype=float)
    return {"alpha": alpha,
            "k_alpha": np.asarray(diffusivity, dtype=float) * length ** (alpha - 2.0)}


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


def _rates(xi: np.ndarray, alpha: np.ndarray, k_alpha: np.ndarray, uptake: np.ndarray
           ) -> np.ndarray:
    """Decay rate (1/s) of every Fourier mode: ``K |xi|^alpha + k``."""
    return k_alpha[:, None] * xi ** alpha[:, None] + uptake[:, None]


def evolve(c0: np.ndarray, rates: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Free drug ``(samples, times, points)``, exact in time for every Fourier mode:
    ``c_hat(xi, t) = c_hat(xi, 0) exp(-rate t)``."""
    factor = np.exp(-rates[:, None, :] * times[None, :, None])
    return np.fft.irfft(np.fft.rfft(c0, axis=-1)[:, None, :] * factor, n=c0.shape[-1],
                        axis=-1)


def exposure(c0: np.ndarray, rates: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Time-integrated free drug (AUC) ``int_0^t c ds``, ``(samples, times, points)``:
    ``c_hat(xi, 0) (1 - exp(-rate t)) / rate`` mode by mode (``t`` where the rate is
    0)."""
    safe = np.where(rates > 0, rates, 1.0)[:, None, :]
    t = times[None, :, None]
    factor = np.where(rates[:, None, :] > 0, -np.expm1(-safe * t) / safe, t)
    return np.fft.irfft(np.fft.rfft(c0, axis=-1)[:, None, :] * factor, n=c0.shape[-1],
                        axis=-1)


def depth(profile: np.ndarray, x: np.ndarray, level: float) -> np.ndarray:
    """Distance from the vessel (um) where ``profile`` first falls to ``level`` times
    its value at the vessel, on the half cell ``0 <= x <= spacing/2`` (linear
    interpolation; half the spacing if it never does). ``x`` is ``grid``'s."""
    half = np.flatnonzero(x[0] >= 0)
    order = half[np.argsort(x[0, half])]
    xs, values = x[:, order], profile[:, order] / profile[:, order[:1]]
    below = values <= level
    found = below.any(axis=1)
    j = np.clip(np.where(found, below.argmax(axis=1), len(order) - 1), 1, len(order) - 1)
    rows = np.arange(len(profile))
    v0, v1 = values[rows, j - 1], values[rows, j]
    x0, x1 = xs[rows, j - 1], xs[rows, j]
    crossing = x0 + (v0 - level) / np.where(v0 != v1, v0 - v1, 1.0) * (x1 - x0)
    return np.where(found, crossing, xs[:, -1])


def _second_moment(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Second moment about the vessel of each profile, normalised by its mass."""
    return (c * x**2).sum(axis=-1) / c.sum(axis=-1)


def penetration(alpha: ArrayLike, k_alpha: ArrayLike, diffusivity: ArrayLike,
                uptake: ArrayLike, spacing: ArrayLike, *, points: int = 1024,
                dose: float = 20.0, width: float = 5.0, effective: float = 0.05,
                level: float = 0.5, t_end: float = 600.0, output_every: float = 20.0,
                snapshot: float = 60.0) -> dict[str, np.ndarray]:
    """Macro step: a drug bolus spreading from a vessel into the tumour, taken up by
    the cells on its way (vectorised; exact in time, spectral in space).

    The drug in the cells at ``x`` by time ``t`` is ``b(x, t) = k int_0^t c(x, s) ds``.

    Parameters
    ----------
    alpha, k_alpha
        Order and coefficient ``K`` (um^alpha / s) of the nonlocal operator.
    diffusivity
        ``D`` (um^2/s) of the Fickian reference (``alpha = 2``, ``K = D``).
    uptake
        ``k`` (1/s), first-order uptake of the drug by cells.
    spacing
        Distance between vessels (um): the length of the periodic cell.
    points
        Fourier grid points per cell.
    dose, width
        Extravasated amount (plasma concentration times um) and bolus std (um).
    effective
        Drug in the cells (relative to the plasma concentration) that is effective.
    level
        Cellular drug at ``t_end``, relative to the vessel's, that defines the
        penetration depth (0.5: the half-penetration distance).
    t_end, output_every
        Length of the exposure and spacing of the reported times (s).
    snapshot
        Time (s) at which the spreading and the internalised fraction are reported.

    Returns
    -------
    dict
        ``penetration_depth`` (um: where the drug in the cells at ``t_end`` falls to
        ``level`` of its value at the vessel), ``depth_ratio`` (that depth over the
        Fickian one), ``midpoint_drug`` (drug in the cells farthest from the vessels,
        at ``t_end``, relative to plasma), ``midpoint_log_ratio`` (``log10`` of that
        over the Fickian value), ``fraction_effective`` (field over ``time``: fraction of the
        tumour whose cells hold at least ``effective``), ``internalised`` (fraction
        of the dose in the cells at ``snapshot``: ``int b dx / dose``, which mass
        conservation makes ``1 - exp(-k t)``), ``spread_variance`` (um^2: growth of
        the free drug's second moment about the vessel from 0 to ``snapshot``;
        ``2 K t`` for Fick while the cell's edges are not reached).
    """
    alpha, k_alpha = np.asarray(alpha, dtype=float), np.asarray(k_alpha, dtype=float)
    d, uptake = np.asarray(diffusivity, dtype=float), np.asarray(uptake, dtype=float)
    spacing = np.asarray(spacing, dtype=float)
    times = output_every * np.arange(1, round(t_end / output_every) + 1)
    x, xi = grid(spacing, points)
    c0 = bolus(x, dose, width)
    rates = _rates(xi, alpha, k_alpha, uptake)
    cells = uptake[:, None, None] * exposure(c0, rates, np.append(times, snapshot))
    fick = uptake[:, None] * exposure(c0, _rates(xi, np.full_like(alpha, 2.0), d, uptake),
                                      times[-1:])[:, 0]
    reach = depth(cells[:, -2], x, level)
    free = evolve(c0, rates, np.array([snapshot]))[:, 0]
    middle = points // 2                  # x = spacing / 2, farthest from the vessels
    return {"penetration_depth": reach,
            "depth_ratio": reach / depth(fick, x, level),
            "midpoint_drug": cells[:, -2, middle],
            "midpoint_log_ratio": np.log10(cells[:, -2, middle] / fick[:, middle]),
            "fraction_effective": (cells[:, :-1] >= effective).mean(axis=-1),
            "internalised": cells[:, -1].sum(axis=-1) * (spacing / points) / dose,
            "spread_variance": _second_moment(free, x) - _second_moment(c0, x)}
