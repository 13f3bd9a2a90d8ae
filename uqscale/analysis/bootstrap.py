"""Confidence intervals of expansion-based indices, by bootstrap over the samples.

Each resample (rows drawn with replacement, as multinomial counts) refits the
coefficients of the terms chosen on all samples by weighted least squares: the
bootstrap PCE of Marelli and Sudret (2018, Struct. Saf. 75:67). The degree and terms
are kept, so the intervals hold the sampling error of the coefficients, not the
variability of the choice of terms. The half-width is ``z`` times the standard
deviation of the resampled indices, like SALib's ``*_conf``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import norm

from uqscale.analysis.adaptive import Expansion, Targets
from uqscale.analysis.polynomials import sobol_from_coefficients

CHUNK_ELEMENTS = 2**22
RIDGE = 1e-10
KEYS = ("S1", "ST", "S2", "S1_group", "ST_group")


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` rows is drawn in each resample, ``(resamples, n)``."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)


def refit(matrix: np.ndarray, values: np.ndarray, expansion: Expansion,
          weights: np.ndarray) -> np.ndarray:
    """Coefficients ``(B, T, K)`` refitted on each weighting ``(B, n)`` of the rows.

    Parameters
    ----------
    matrix
        The expansion's basis at the samples, ``(n, T)``.
    values
        The fitted targets ``(n, K)``.
    """
    result = np.zeros((len(weights), *expansion.coefficients.shape))
    for rows, columns in expansion.pieces:
        columns_of = matrix[:, rows]                                  # (n, m)
        weighted = columns_of.T[None, :, :] * weights[:, None, :]     # (B, m, n)
        gram = weighted @ columns_of                                  # (B, m, m)
        scale = np.trace(gram, axis1=1, axis2=2)[:, None, None] / len(rows)
        gram += RIDGE * np.maximum(scale, 1.0) * np.eye(len(rows))
        solved = np.linalg.solve(gram, weighted @ values[:, columns])   # (B, m, k)
        result[:, rows[:, None], columns[None, :]] = solved
    return result


def confidence(x: np.ndarray, targets: Targets, expansion: Expansion,
               groups: Mapping[str, Sequence[int]], weights: np.ndarray,
               level: float) -> dict[str, np.ndarray]:
    """Half-widths ``S1_conf``, ``ST_conf``, ``S2_conf``, ``S1_group_conf`` and
    ``ST_group_conf`` of the indices, over the resamples ``weights`` ``(B, n)``.

    Parameters
    ----------
    x
        The samples ``(n, d)`` the expansion was fitted on.
    level
        Confidence level of the normal interval, e.g. 0.95.
    """
    matrix = expansion.basis.matrix(x)
    terms = len(expansion.basis)
    points = len(targets.offset) if targets.offset is not None else targets.values.shape[1]
    widest = max(points, expansion.coefficients.shape[1], len(x))
    step = max(1, CHUNK_ELEMENTS // (terms * widest))
    total: dict[str, np.ndarray] = {}
    square: dict[str, np.ndarray] = {}
    shift: dict[str, np.ndarray] = {}
    for start in range(0, len(weights), step):
        coefficients = targets.coefficients(refit(matrix, targets.values, expansion,
                                                  weights[start: start + step]))
        found = _indices(expansion.basis.indices, coefficients, groups)
        for key, value in found.items():                              # (B, ..., P)
            # Sums of deviations from the first resample: no cancellation.
            deviation = value - shift.setdefault(key, value[0])
            total[key] = total.get(key, 0.0) + deviation.sum(axis=0)
            square[key] = square.get(key, 0.0) + (deviation**2).sum(axis=0)
    count = len(weights)
    z = float(norm.ppf(0.5 + level / 2))
    return {f"{key}_conf": z * np.sqrt(np.maximum(
        (square[key] - total[key]**2 / count) / max(count - 1, 1), 0.0)) for key in KEYS}


def _indices(multi_indices: np.ndarray, coefficients: np.ndarray,
             groups: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
    """Indices of ``B`` coefficient sets ``(B, T, P)``, each ``(B, ..., P)``."""
    b, terms, points = coefficients.shape
    flat = coefficients.transpose(1, 0, 2).reshape(terms, b * points)
    found = sobol_from_coefficients(multi_indices, flat, groups)
    return {key: np.moveaxis(found[key].reshape(*found[key].shape[:-1], b, points), -2, 0)
            for key in KEYS}
