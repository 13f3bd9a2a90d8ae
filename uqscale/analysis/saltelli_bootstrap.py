"""Saltelli estimators of first, total and second-order indices with bootstrap
confidence half-widths, for every point of an output at once.

The point estimates are SALib's (Saltelli 2010 first order, Jansen total order,
Saltelli 2002 second order). Each estimator is a ratio of sample means, so the mean
over a bootstrap resample of the base samples is a row of ``counts @ q / n``, where
``counts[r, i]`` is how often base sample ``i`` occurs in resample ``r``. The bootstrap
is therefore a few matrix products of the ``(R, n)`` count matrix with ``(n, points)``
arrays, never an ``(n, R, points)`` copy of the resampled rows: the same resamples,
the same spread up to rounding, in a fraction of the time and memory.
"""

from __future__ import annotations

from typing import cast

import numpy as np

BOOTSTRAP_ELEMENTS = 2**24
"""Largest ``resamples x points`` block held at once (128 MiB of float64)."""


def resample_counts(resampled: np.ndarray) -> np.ndarray:
    """How often each base sample occurs in each resample.

    Parameters
    ----------
    resampled
        ``(n, R)`` indices of base samples, one column per resample.

    Returns
    -------
    numpy.ndarray
        ``(R, n)`` counts; each row sums to ``n``.

    >>> resample_counts(np.array([[0, 2], [0, 1], [1, 2]]))
    array([[2., 1., 0.],
           [0., 1., 2.]])
    """
    n, resamples = resampled.shape
    counts = np.zeros((resamples, n))
    np.add.at(counts, (np.broadcast_to(np.arange(resamples), (n, resamples)), resampled), 1.0)
    return counts


def estimates(
    a: np.ndarray,
    ab: np.ndarray,
    b: np.ndarray,
    ba: np.ndarray | None,
    resampled: np.ndarray,
    z: float,
) -> dict[str, np.ndarray]:
    """Indices and confidence half-widths for factors ``j`` of ``ab[:, j]``.

    Parameters
    ----------
    a, b
        ``(n, P)`` outputs at the base matrices ``A`` and ``B``.
    ab
        ``(n, k, P)`` outputs at ``AB_j`` (``A`` with column ``j`` from ``B``).
    ba
        ``(n, k, P)`` outputs at ``BA_j``, for second-order indices; or None.
    resampled
        ``(n, R)`` bootstrap draws of base samples.
    z
        Normal quantile of the confidence level.

    Returns
    -------
    dict
        ``S1``, ``ST``, ``S1_conf``, ``ST_conf`` (``(k, P)``) and, with ``ba``, ``S2`` and
        ``S2_conf`` (``(k, k, P)``, symmetric).
    """
    from SALib.analyze.sobol import first_order, second_order, total_order

    k = ab.shape[1]
    result = {
        "S1": np.array([first_order(a, ab[:, j], b) for j in range(k)]),
        "ST": np.array([total_order(a, ab[:, j], b) for j in range(k)]),
    }
    if ba is not None:
        upper = np.array(
            [
                [
                    second_order(a, ab[:, i], ab[:, j], ba[:, i], b)
                    if i < j
                    else np.zeros(a.shape[1])
                    for j in range(k)
                ]
                for i in range(k)
            ]
        )
        result["S2"] = upper + upper.transpose(1, 0, 2)
    counts = resample_counts(resampled)
    chunk = max(1, BOOTSTRAP_ELEMENTS // max(1, counts.shape[0]))
    spreads = [
        _spread(
            a[:, c : c + chunk],
            ab[:, :, c : c + chunk],
            b[:, c : c + chunk],
            None if ba is None else ba[:, :, c : c + chunk],
            counts,
        )
        for c in range(0, a.shape[1], chunk)
    ]
    for key in spreads[0]:
        result[f"{key}_conf"] = z * np.concatenate([s[key] for s in spreads], axis=-1)
    return result


def _spread(
    a: np.ndarray, ab: np.ndarray, b: np.ndarray, ba: np.ndarray | None, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Bootstrap standard deviation of each estimator, over the rows of ``counts``."""
    n, k = ab.shape[:2]

    def mean(q: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", counts @ q / n)  # (R, P): the mean of q over each resample

    centre = (mean(a) + mean(b)) / 2
    variance = (mean(a * a) + mean(b * b)) / 2 - centre**2
    usable = variance > np.finfo(float).eps

    def ratio(numerator: np.ndarray) -> np.ndarray:
        return cast(
            "np.ndarray", np.divide(numerator, variance, out=np.zeros_like(variance), where=usable)
        )

    first = np.array([ratio(mean(b * (ab[:, j] - a))) for j in range(k)])
    total = np.array([ratio(0.5 * mean((a - ab[:, j]) ** 2)) for j in range(k)])
    spread = {"S1": first.std(axis=1, ddof=1), "ST": total.std(axis=1, ddof=1)}
    if ba is not None:
        second = np.zeros((k, k, *a.shape[1:]))
        for i in range(k):
            for j in range(i + 1, k):
                joint = ratio(mean(ba[:, i] * ab[:, j] - a * b)) - first[i] - first[j]
                second[i, j] = second[j, i] = joint.std(axis=0, ddof=1)
        spread["S2"] = second
    return spread
