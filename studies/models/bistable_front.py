"""A bistable (Nagumo) excitation front on a grid of spacing dx.

``u_t = D u_xx + u (1 - u)(u - a)``, ``0 < a < 1/2``: the excited state u = 1 invades
the resting state u = 0 as a front ``U(x - c t) = 1 / (1 + exp((x - c t) / w))`` of
width ``w = sqrt(2 D)`` and speed ``c = sqrt(2 D) (1/2 - a)`` (docs/references.md).
The inputs are the front width ``width`` (the process scale; ``D = width^2 / 2``,
tissue coupling) or ``D`` itself, and the threshold ``a`` (membrane kinetics).

Numerics (what depends on dx): the standard three-point Laplacian on cells of width
dx with reflecting ends, which the type-II discrete cosine transform diagonalises;
in time, the exponential integrator ETDRK4 (Cox and Matthews 2002, coefficients by
the contour integral of Kassam and Trefethen 2005), exact for the stiff diffusion at
every dx, so the time error (below 1e-7 relative at ``dt = 0.1``) stays far under the
spatial one. The domain (``domain`` long, at least ``MIN_WIDTHS`` front widths) moves
with the front by whole cells, an exact symmetry of the lattice, so it suffices however
far the front runs. It does not depend on the other samples of a batch, so neither
does a sample's result.

Speed: the front position is ``X(t) = dx sum_i u_i`` plus the cells shifted out. A
lattice travelling wave repeats itself shifted by one cell every ``dx / c``, so ``X``
crosses the levels ``X(t_relax) + k dx`` at equal intervals; the speed is the number
of cells crossed over the time between the first and last crossing in the measurement
window. A front that crosses fewer than two levels gets ``(X(end) - X(t_relax)) /
t_measure``, below ``2 dx / t_measure`` (a pinned front: about 0).

For dx << w the speed converges to c with order 2: the scheme's modified equation
``u_t = D (u_xx + dx^2 / 12 u_xxxx) + f(u)`` shifts the speed by
``-(D dx^2 / 12) <U'''' U' e^{cz/D}> / <U'^2 e^{cz/D}>`` (solvability condition,
:func:`leading_error`), which is ``-c (dx / w)^2 (3 - 2 (1 - 2a)^2) / 120``: about
2 % of c at dx = w. As dx approaches a few w the front slows and then stops (propagation
failure of the discrete Nagumo equation, Keener 1987) beyond about
:func:`pinning_spacing`, from 3 w at a = 0.4 to 14 w at a = 0.1.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import Polynomial
from scipy.fft import dct, idct

Array = np.ndarray

CONTOUR_POINTS = 32
MIN_CROSSINGS = 2
MIN_WIDTHS = 30.0
# Samples are stepped in chunks whose arrays stay below 128 KiB: Dask's nanny starts
# workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc map and unmap every
# larger allocation (five times slower here).
CHUNK = 16000


def exact_speed(width: Array, a: Array) -> Array:
    """Speed of the continuum front, ``sqrt(2 D) (1/2 - a) = width (1/2 - a)``."""
    return np.asarray(width, dtype=float) * (0.5 - np.asarray(a, dtype=float))


def leading_error(width: float, a: float, dx: float, points: int = 20001) -> float:
    """Leading-order speed error of the three-point Laplacian, ``C dx^2`` (absolute),
    from the solvability condition of the modified equation
    ``u_t = D (u_xx + dx^2 / 12 u_xxxx) + f(u)`` about the exact front, by quadrature.
    It equals ``-c (dx / w)^2 (3 - 2 (1 - 2a)^2) / 120``.

    Examples
    --------
    >>> c = float(exact_speed(1.0, 0.25))
    >>> round(leading_error(1.0, 0.25, 0.1) / (-c * 0.1 ** 2 * (3 - 2 * 0.5 ** 2) / 120), 9)
    1.0
    """
    diffusion, c = width**2 / 2.0, float(exact_speed(width, a))
    z = np.linspace(-40.0 * width, 40.0 * width, points)
    front = 1.0 / (1.0 + np.exp(z / width))
    # U' = -U (1 - U) / w, so every derivative is a polynomial in U: p_{n+1} = p_n' p_1.
    first = Polynomial([0.0, -1.0, 1.0]) / width
    fourth = first
    for _ in range(3):
        fourth = fourth.deriv() * first
    weight = np.exp(c * z / diffusion) * first(front)
    numerator = np.trapezoid(fourth(front) * weight, z)
    denominator = np.trapezoid(first(front) * weight, z)
    return float(-diffusion * dx**2 / 12.0 * numerator / denominator)


def pinning_spacing(width: float, a: float, points: int = 20001) -> float:
    """Anti-continuum estimate of the spacing above which the front is pinned.

    With neighbours at 1 behind and 0 ahead, the first resting site settles where
    ``d (1 - 2u) = u (1 - u)(a - u)``, ``d = D / dx^2``; a root below ``a`` (the site
    never fires) exists once ``d < d* = max_u u (1 - u)(a - u) / (1 - 2u)``, i.e.
    ``dx > w / sqrt(2 d*)``. The estimate ignores the other sites' departures from 0
    and 1 (relative size ~ ``d* / a``) and falls within ten per cent of the computed
    threshold for 0.1 <= a <= 0.4.

    Examples
    --------
    >>> round(pinning_spacing(1.0, 0.25), 2)
    5.21
    """
    u = np.linspace(0.0, a, points)
    critical = np.max(u * (1.0 - u) * (a - u) / (1.0 - 2.0 * u))
    return float(width / np.sqrt(2.0 * critical))


def _phi_functions(z: Array) -> tuple[Array, Array, Array, Array]:
    """ETDRK4 coefficients for ``h L = z`` (real, <= 0), divided by h: Q, f1, f2, f3.
    Near 0 by the mean over a circle of radius 1 about z, which avoids cancellation."""
    out = []
    small = z > -1.0
    circle = np.exp(1j * np.pi * (np.arange(CONTOUR_POINTS) + 0.5) / CONTOUR_POINTS)
    points = z[small][:, None] + circle
    big = np.where(small, -2.0, z)  # the direct formulas are exact away from 0
    for formula in (
        lambda x: (np.exp(x / 2) - 1) / x,
        lambda x: (-4 - x + np.exp(x) * (4 - 3 * x + x**2)) / x**3,
        lambda x: (2 + x + np.exp(x) * (x - 2)) / x**3,
        lambda x: (-4 - 3 * x - x**2 + np.exp(x) * (4 - x)) / x**3,
    ):
        value = formula(big)
        value[small] = formula(points).mean(axis=1).real
        out.append(value)
    return out[0], out[1], out[2], out[3]


def _reaction(u: Array, a: Array) -> Array:
    return u * (1.0 - u) * (u - a[:, None])


def _positions(
    width: Array, a: Array, dx: float, cells: int, t_relax: float, t_measure: float, dt: float
) -> tuple[Array, Array]:
    """Front positions ``X`` (steps + 1, samples) at times ``t``, for one dx."""
    diffusion = width**2 / 2.0
    x = (np.arange(cells) + 0.5) * dx
    centre = cells * dx / 2.0
    u = 1.0 / (1.0 + np.exp((x[None, :] - centre) / width[:, None]))
    modes = np.arange(cells)
    eigen = -4.0 * diffusion[:, None] / dx**2 * np.sin(np.pi * modes / (2 * cells)) ** 2
    step, half = np.exp(dt * eigen), np.exp(dt * eigen / 2.0)
    q, f1, f2, f3 = (dt * c for c in _phi_functions(dt * eigen))

    def transform(v):
        return dct(v, type=2, norm="ortho", axis=-1)

    def inverse(v):
        return idct(v, type=2, norm="ortho", axis=-1)

    steps = round((t_relax + t_measure) / dt)
    rows = np.arange(len(width))[:, None]
    shifted = np.zeros(len(width))
    positions = np.empty((steps + 1, len(width)))
    positions[0] = dx * u.sum(axis=1)
    v = transform(u)
    for n in range(steps):
        nv = transform(_reaction(u, a))
        va = half * v + q * nv
        na = transform(_reaction(inverse(va), a))
        vb = half * v + q * na
        nb = transform(_reaction(inverse(vb), a))
        vc = half * va + q * (2.0 * nb - nv)
        nc = transform(_reaction(inverse(vc), a))
        v = step * v + f1 * nv + 2.0 * f2 * (na + nb) + f3 * nc
        u = inverse(v)
        position = dx * u.sum(axis=1)
        # Keep the front mid-domain: move the profile by whole cells (exact on a lattice).
        cells_off = np.floor((position - centre) / dx).astype(int)
        cells_off[np.abs(cells_off) < 4] = 0
        if cells_off.any():
            source = modes[None, :] + cells_off[:, None]
            u = np.where(
                source >= cells,
                0.0,
                np.where(source < 0, 1.0, u[rows, np.clip(source, 0, cells - 1)]),
            )
            shifted += cells_off * dx
            v = transform(u)
            position = dx * u.sum(axis=1)
        positions[n + 1] = shifted + position
    return positions, np.arange(steps + 1) * dt


def _speed(positions: Array, times: Array, dx: float) -> float:
    """Cells crossed per unit time between the first and last crossing (see module)."""
    rise = np.maximum.accumulate(positions)
    crossings = int(np.floor((rise[-1] - rise[0]) / dx))
    if crossings < MIN_CROSSINGS:
        return float((positions[-1] - positions[0]) / (times[-1] - times[0]))
    levels = rise[0] + dx * np.arange(1, crossings + 1)
    after = np.searchsorted(rise, levels)
    before = after - 1
    fraction = (levels - rise[before]) / (rise[after] - rise[before])
    when = times[before] + fraction * (times[after] - times[before])
    return float((levels[-1] - levels[0]) / (when[-1] - when[0]))


def front_speed(
    a: Array,
    dx: Array | float,
    width: Array | None = None,
    D: Array | None = None,  # noqa: N803
    domain: float = 60.0,
    t_relax: float = 40.0,
    t_measure: float = 80.0,
    dt: float = 0.1,
    min_cells: int = 48,
) -> dict[str, Array]:
    """Speed of the computed front and its error against the exact speed.

    Vectorised over samples; samples are grouped by dx (a batch may mix spacings).

    Parameters
    ----------
    a
        Threshold of the kinetics, ``0 < a < 1/2``.
    dx
        Grid spacing (a number, or one per sample), in the units of ``width``.
    width, D
        Front width ``sqrt(2 D)``, or the diffusivity D: give exactly one.
    domain
        Length of the (moving) domain, in the units of ``width``; at least
        ``MIN_WIDTHS`` front widths (the profile's tails fall to e^-15 at its ends).
    t_relax, t_measure
        Time to let the initial (continuum) profile relax to the lattice front, and
        the measurement window after it (reaction time units).
    dt
        Time step of ETDRK4.
    min_cells
        Fewest cells in the domain (coarse grids).

    Returns
    -------
    dict
        ``speed`` (computed) and ``speed_error`` (``speed / c - 1``, c the exact
        speed), arrays over samples.

    Examples
    --------
    >>> out = front_speed([0.25], dx=0.25, width=[1.0])
    >>> abs(float(out["speed_error"][0])) < 2e-3
    True
    """
    if (width is None) == (D is None):
        raise ValueError("give exactly one of width and D")
    width = np.sqrt(2.0 * np.asarray(D, dtype=float)) if width is None else width
    width, a, dx = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (width, a, dx))
    )
    if np.any(width <= 0) or np.any(dx <= 0) or np.any((a <= 0) | (a >= 0.5)):
        raise ValueError("need width > 0, dx > 0 and 0 < a < 1/2")
    if domain < MIN_WIDTHS * width.max():
        raise ValueError(
            f"domain {domain:g} is under {MIN_WIDTHS:g} front widths "
            f"(width up to {width.max():g}); give a longer domain"
        )
    speed = np.empty(len(width))
    spacings, group = np.unique(dx, return_inverse=True)
    for k, spacing in enumerate(spacings):
        cells = max(int(np.ceil(domain / spacing)), min_cells)
        members = np.flatnonzero(group == k)
        for rows in np.array_split(members, -(-len(members) * cells // CHUNK)):
            positions, times = _positions(
                width[rows], a[rows], float(spacing), cells, t_relax, t_measure, dt
            )
            measured = times >= t_relax - dt / 2
            for j, row in enumerate(rows):
                speed[row] = _speed(positions[measured, j], times[measured], float(spacing))
    return {"speed": speed, "speed_error": speed / exact_speed(width, a) - 1.0}
