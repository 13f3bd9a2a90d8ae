"""Confidence intervals of expansion-based indices, by a bootstrap of the whole fitting
procedure.

Each resample (rows drawn with replacement, as multinomial counts) re-runs the chosen
candidate's procedure on the drawn rows: least squares on every term for an ``ols``
candidate; for a sparse one the solver's path over the whole candidate basis, to as
many terms as were kept on all rows, and least squares on the terms that path takes.
The choice of terms is thus inside the bootstrap, as in the bootstrap PCE of Marelli
and Sudret (2018, Struct. Saf. 75:67) with the sparse regression repeated per
resample; the degree, truncation and number of terms of the chosen candidate are
kept (choosing them again would multiply the cost by the folds and candidates). A
stack of candidates (:func:`uqscale.analysis.procedure.stack`) refits every member
so on each resample and adds them with the weights fitted on all rows, kept fixed. A
drawn row carries its multiplicity as a weight (the row scaled by the square root of
its count), the same least squares as repeating the row.

The half-width is ``z`` times the standard deviation of the resampled indices (like
SALib's ``*_conf``) plus the point's honest relative error ``eps`` (``cv_error``):
an expansion that misses a share ``eps`` of the output's variance cannot tell to
which indices that share belongs, and no resampling of the same runs reveals it
(the bootstrap alone gave ``0.000 +- 0.000`` for indices carried only by terms the
runs cannot resolve). With a good fit ``eps`` is negligible next to the bootstrap
spread; with a poor one the intervals widen as they must.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from uqscale.analysis.adaptive import Expansion, Targets
from uqscale.analysis.polynomials import sobol_from_coefficients
from uqscale.analysis.sparse import path, prefix_fits

CHUNK_ELEMENTS = 2**22
RIDGE = 1e-10
KEYS = ("S1", "ST", "S2", "S1_group", "ST_group")


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` rows is drawn in each resample.

    Parameters
    ----------
    n
        Number of rows.
    resamples
        Number of resamples.
    rng
        Draws the resamples.

    Returns
    -------
    numpy.ndarray
        ``(resamples, n)`` counts, each row summing to ``n``.
    """
    return rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)


def refit(matrix: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of every column of ``matrix`` on each weighting.

    Parameters
    ----------
    matrix
        The basis at the samples ``(n, T)``.
    values
        The targets ``(n, K)``.
    weights
        Row weights of every resample ``(B, n)``.

    Returns
    -------
    numpy.ndarray
        ``(B, T, K)``.
    """
    weighted = matrix.T[None, :, :] * weights[:, None, :]  # (B, T, n)
    gram = weighted @ matrix  # (B, T, T)
    scale = np.trace(gram, axis1=1, axis2=2)[:, None, None] / matrix.shape[1]
    gram += RIDGE * np.maximum(scale, 1.0) * np.eye(matrix.shape[1])
    return np.linalg.solve(gram, weighted @ values)


def reselect(
    matrix: np.ndarray, y: np.ndarray, solver: str, weights: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """The sparse procedure on one weighting of the rows, with as many terms as chosen
    on all rows.

    Parameters
    ----------
    matrix
        The candidate basis at the samples ``(n, T)``.
    y
        The target ``(n,)``.
    solver
        ``omp`` or ``lars``.
    weights
        How often each row is drawn ``(n,)``.
    length
        Terms kept on all rows, the constant included.

    Returns
    -------
    order
        The columns of ``matrix`` its path takes.
    coefficients
        Their least-squares coefficients.
    """
    drawn = weights > 0
    root = np.sqrt(weights[drawn])
    rows, values = matrix[drawn] * root[:, None], y[drawn] * root
    order = path(rows, values, solver, length=length)
    return order, prefix_fits(rows[:, order], values)[0][:, -1]


@dataclass(frozen=True)
class Piece:
    """What one member of a piece of the expansion refits on every resample: its
    candidate ``solver``, the ``rows`` of its candidate terms in the union of all
    members' terms, the candidate basis at the samples ``matrix`` ``(n, T)``, the
    targets ``columns`` and their ``values`` ``(n, k)``, ``length`` (terms kept on all
    rows) and its ``weight`` in the piece's stack (1 for a single candidate)."""

    solver: str
    rows: np.ndarray
    matrix: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    length: int
    weight: float = 1.0


def pieces(x: np.ndarray, targets: Targets, expansion: Expansion) -> tuple[np.ndarray, list[Piece]]:
    """Every candidate term, and every member of every piece of the expansion with its
    candidate basis evaluated once for all resamples.

    Parameters
    ----------
    x
        The samples ``(n, d)``.
    targets
        What was fitted.
    expansion
        The fit on all rows.

    Returns
    -------
    union
        Multi-indices ``(T, d)`` holding every candidate term.
    parts
        One :class:`Piece` per member of every piece of ``expansion``.
    """
    members = [member for piece in expansion.chosen for member in piece]
    union = np.unique(np.concatenate([m.basis.indices for m in members]), axis=0)
    where = {tuple(row): i for i, row in enumerate(union.tolist())}
    tables = members[0].basis.tables(x)
    found = []
    for stacked, (_, columns) in zip(expansion.chosen, expansion.pieces, strict=True):
        for member in stacked:
            found.append(
                Piece(
                    member.candidate.solver,
                    np.array([where[tuple(row)] for row in member.basis.indices.tolist()]),
                    member.basis.matrix(x, tables),
                    columns,
                    targets.values[:, columns],
                    len(member.selection.support),
                    member.weight,
                )
            )
    return union, found


def resampled_coefficients(
    terms: int, targets: int, parts: Sequence[Piece], weights: np.ndarray
) -> np.ndarray:
    """The coefficients of every piece of ``parts``, refitted for each weighting and
    added with the piece's weight (a stack's members refitted each on its own, their
    weights those fitted on all rows), on the union of the pieces' candidate terms.

    Parameters
    ----------
    terms
        Number of terms in the union.
    targets
        Number of targets.
    parts
        The pieces (:func:`pieces`).
    weights
        Row weights of every resample ``(B, n)``.

    Returns
    -------
    numpy.ndarray
        ``(B, terms, targets)``.
    """
    result = np.zeros((len(weights), terms, targets))
    for piece in parts:
        if piece.solver == "ols":
            result[:, piece.rows[:, None], piece.columns[None, :]] += piece.weight * refit(
                piece.matrix, piece.values, weights
            )
            continue
        for b, weighting in enumerate(weights):
            for k, column in enumerate(piece.columns):
                kept, coefficients = reselect(
                    piece.matrix, piece.values[:, k], piece.solver, weighting, piece.length
                )
                result[b, piece.rows[kept], column] += piece.weight * coefficients
    return result


def confidence(
    x: np.ndarray,
    targets: Targets,
    expansion: Expansion,
    groups: Mapping[str, Sequence[int]],
    weights: np.ndarray,
    level: float,
    errors: np.ndarray,
) -> dict[str, np.ndarray]:
    """Half-widths ``S1_conf``, ``ST_conf``, ``S2_conf``, ``S1_group_conf`` and
    ``ST_group_conf`` of the indices, over the resamples ``weights`` ``(B, n)``.

    Parameters
    ----------
    x
        The samples ``(n, d)`` the expansion was fitted on.
    targets
        What was fitted.
    expansion
        The fit on all rows.
    groups
        Group name to the inputs it holds.
    weights
        Row weights of every resample ``(B, n)``.
    level
        Confidence level of the normal interval, e.g. 0.95.
    errors
        The honest relative error of every point, ``(P,)``, added to the half-widths.

    Returns
    -------
    dict
        ``{key}_conf`` for every key of :data:`KEYS`, shaped as the indices.
    """
    points = len(targets.offset) if targets.offset is not None else targets.values.shape[1]
    terms = sum(len(member.basis) for piece in expansion.chosen for member in piece)
    widest = max(points, targets.values.shape[1], len(x))
    step = max(1, CHUNK_ELEMENTS // (terms * widest))
    union, parts = pieces(x, targets, expansion)
    total: dict[str, np.ndarray] = {}
    square: dict[str, np.ndarray] = {}
    shift: dict[str, np.ndarray] = {}
    for start in range(0, len(weights), step):
        per_target = resampled_coefficients(
            len(union), targets.values.shape[1], parts, weights[start : start + step]
        )
        found = _indices(union, targets.coefficients(per_target), groups)
        for key, value in found.items():  # (B, ..., P)
            # Sums of deviations from the first resample: no cancellation.
            deviation = value - shift.setdefault(key, value[0])
            total[key] = total.get(key, 0.0) + deviation.sum(axis=0)
            square[key] = square.get(key, 0.0) + (deviation**2).sum(axis=0)
    count = len(weights)
    z = float(norm.ppf(0.5 + level / 2))
    missed = np.clip(np.nan_to_num(errors, nan=1.0), 0.0, 1.0)
    return {
        f"{key}_conf": z
        * np.sqrt(np.maximum((square[key] - total[key] ** 2 / count) / max(count - 1, 1), 0.0))
        + missed
        for key in KEYS
    }


def _indices(
    multi_indices: np.ndarray, coefficients: np.ndarray, groups: Mapping[str, Sequence[int]]
) -> dict[str, np.ndarray]:
    """Indices of ``B`` coefficient sets ``(B, T, P)``, each ``(B, ..., P)``."""
    b, terms, points = coefficients.shape
    flat = coefficients.transpose(1, 0, 2).reshape(terms, b * points)
    found = sobol_from_coefficients(multi_indices, flat, groups)
    return {
        key: np.moveaxis(found[key].reshape(*found[key].shape[:-1], b, points), -2, 0)
        for key in KEYS
    }
