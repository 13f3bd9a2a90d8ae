"""Choosing the terms of one expansion: a least-angle regression or orthogonal matching
pursuit path (scikit-learn), a least-squares refit of every prefix of the path, and
the prefix with the smallest cross-validation error.

This is the "hybrid" scheme of Blatman and Sudret (2011, J. Comput. Phys. 230:2345):
the solver only orders the terms; the coefficients are ordinary least squares on the
chosen ones. All prefixes of a path are refitted at once from one QR factorisation of
the path's columns (a prefix of ``Q`` spans the prefix of the columns), which gives
every prefix's leave-one-out or held-out error without a loop over prefixes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import qr, solve_triangular

SOLVERS = ("ols", "omp", "lars")
TINY = 1e-12
PATH_FRACTION = 0.5
"""Longest sparse path, as a fraction of the number of samples."""


@dataclass(frozen=True)
class Selection:
    """Chosen terms shared by ``K`` targets, and their least-squares fit.

    Attributes
    ----------
    support
        Columns of the candidate basis (column 0, the constant, first).
    coefficients
        Least-squares coefficients on ``support``, ``(len(support), K)``.
    error
        The cross-validation error that chose it, relative to each target's
        variance, ``(K,)``.
    cv_residuals
        Residuals whose mean square is ``error`` times the variance, ``(n, K)``:
        leave-one-out residuals scaled by Chapelle's correction, or held-out residuals.
    loo_residuals
        Plain leave-one-out residuals of the least-squares fit on ``support``, ``(n, K)``.
    """

    support: np.ndarray
    coefficients: np.ndarray
    error: np.ndarray
    cv_residuals: np.ndarray
    loo_residuals: np.ndarray


def path(matrix: np.ndarray, y: np.ndarray, solver: str) -> np.ndarray:
    """Columns of ``matrix`` in the order the solver takes them, constant first.

    Parameters
    ----------
    matrix
        Candidate basis evaluated at the samples, ``(n, T)``; column 0 is constant.
    y
        The target, ``(n,)``.
    solver
        ``ols`` (every column, in order), ``omp`` or ``lars``.

    Returns
    -------
    numpy.ndarray
        Column numbers starting with 0; a sparse path stops after
        ``PATH_FRACTION * n`` terms (at least two samples per refitted term: the
        leave-one-out error of longer paths, chosen on the same samples, is too
        optimistic to stop them).
    """
    n, terms = matrix.shape
    steps = min(terms - 1, n - 3, int(PATH_FRACTION * n))
    if solver == "ols" or steps < 1:
        return np.arange(terms if solver == "ols" else 1)
    centred = matrix[:, 1:] - matrix[:, 1:].mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    x = centred / np.where(norms > 0, norms, 1.0)
    target = y - y.mean()
    with warnings.catch_warnings():
        # Exact fits end a path early; scikit-learn warns, we only need the order.
        warnings.simplefilter("ignore")
        if solver == "lars":
            from sklearn.linear_model import lars_path

            active = lars_path(x, target, max_iter=steps, method="lar", return_path=False)[1]
        else:
            active = _omp_order(x, target, steps)
    return np.concatenate([[0], 1 + np.asarray(active, dtype=int)])


def _omp_order(x: np.ndarray, target: np.ndarray, steps: int) -> np.ndarray:
    """Columns in the order orthogonal matching pursuit activates them."""
    from sklearn.linear_model import orthogonal_mp

    steps_taken = np.asarray(orthogonal_mp(x, target, n_nonzero_coefs=steps,
                                           return_path=True)).reshape(x.shape[1], -1)
    active = steps_taken != 0
    taken = np.flatnonzero(active.any(axis=1))
    first = np.argmax(active[taken], axis=1) if len(taken) else taken
    return taken[np.argsort(first, kind="stable")]


def prefix_fits(columns: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """Least squares on every prefix of ``columns`` ``(n, k)``, at once.

    Returns
    -------
    coefficients
        ``(k, k)``: column ``j`` holds the coefficients of the first ``j + 1`` columns.
    loo
        Leave-one-out residuals ``(n, k)`` of every prefix (``r_i / (1 - h_i)``).
    inverse_trace
        ``trace((A^T A)^-1)`` of every prefix, ``(k,)``.
    """
    q, r = qr(columns, mode="economic")
    with np.errstate(all="ignore"):
        inverse = solve_triangular(r, np.eye(len(r)))
        b = q.T @ y
        coefficients = np.cumsum(inverse * b[None, :], axis=1)
        leverage = np.cumsum(q**2, axis=1)
        fitted = np.cumsum(q * b[None, :], axis=1)
        loo = (y[:, None] - fitted) / np.maximum(1.0 - leverage, TINY)
    return coefficients, loo, np.cumsum((inverse**2).sum(axis=0))


def correction(n: int, size: np.ndarray, inverse_trace: np.ndarray) -> np.ndarray:
    """Chapelle's factor ``n / (n - k) (1 + trace(C^-1) / n)``, ``C = A^T A / n``, for
    fits of ``size`` terms: it makes the leave-one-out error of terms chosen on the
    same samples less optimistic (Blatman and Sudret 2011, eq. 41); ``inf`` where
    ``k >= n``."""
    with np.errstate(all="ignore"):
        factor = n / (n - size) * (1.0 + inverse_trace)
    return np.where((size < n) & np.isfinite(factor), factor, np.inf)


def select(matrix: np.ndarray, y: np.ndarray, solver: str,
           folds: list[np.ndarray] | None = None) -> Selection:
    """Terms of ``matrix`` for the targets ``y`` ``(n, K)``: every term for ``ols``
    (any ``K``), else the solver's path for the single target, cut where the
    cross-validation error is smallest.

    Parameters
    ----------
    matrix
        Candidate basis at the samples ``(n, T)``, column 0 constant.
    y
        The targets ``(n, K)``; ``K = 1`` unless ``solver`` is ``ols``.
    solver
        One of :data:`SOLVERS`.
    folds
        Held-out rows of each fold for K-fold cross-validation; ``None`` for the
        corrected leave-one-out error.
    """
    if solver == "ols":
        return _full(matrix, y, folds)
    order = path(matrix, y[:, 0], solver)
    coefficients, loo, inverse_trace = prefix_fits(matrix[:, order], y[:, 0])
    if folds is None:
        size = np.arange(1, len(order) + 1)
        residuals = loo * np.sqrt(correction(len(y), size, inverse_trace))[None, :]
    else:
        residuals = _held_out(matrix, y[:, 0], solver, folds, len(order))
    errors = _relative(residuals, y[:, 0])
    best = int(np.argmin(errors))
    return Selection(order[: best + 1], coefficients[: best + 1, best: best + 1],
                     errors[best: best + 1], residuals[:, best: best + 1],
                     loo[:, best: best + 1])


def _full(matrix: np.ndarray, y: np.ndarray, folds: list[np.ndarray] | None) -> Selection:
    """Least squares on every column, for many targets at once."""
    q, r = qr(matrix, mode="economic")
    with np.errstate(all="ignore"):
        coefficients = solve_triangular(r, q.T @ y)
        leverage = np.minimum((q**2).sum(axis=1), 1.0 - TINY)
        loo = (y - matrix @ coefficients) / (1.0 - leverage)[:, None]
        inverse_trace = (solve_triangular(r, np.eye(len(r)))**2).sum()
    if folds is None:
        residuals = loo * np.sqrt(correction(len(y), np.array(len(r)), inverse_trace))
    else:
        residuals = np.empty_like(y)
        for held in folds:
            train = np.setdiff1d(np.arange(len(y)), held)
            fitted = np.linalg.lstsq(matrix[train], y[train], rcond=None)[0]
            residuals[held] = y[held] - matrix[held] @ fitted
    return Selection(np.arange(matrix.shape[1]), coefficients, _relative(residuals, y),
                     residuals, loo)


def _relative(residuals: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared residuals over the variance of ``y``: 0 for a constant target
    fitted exactly, ``inf`` where not finite."""
    variance = y.var(axis=0)
    with np.errstate(all="ignore"):
        mean_square = (residuals**2).mean(axis=0)
        errors = np.where(variance > 0, mean_square / variance,
                          np.where(mean_square > 0, np.inf, 0.0))
    return np.where(np.isfinite(errors), errors, np.inf)


def _held_out(matrix: np.ndarray, y: np.ndarray, solver: str, folds: list[np.ndarray],
              steps: int) -> np.ndarray:
    """Held-out residuals ``(n, steps)`` of every path length, each fold's path and
    fit chosen on its training rows (``inf`` where a fold's path is shorter)."""
    residuals = np.full((len(y), steps), np.inf)
    for held in folds:
        train = np.setdiff1d(np.arange(len(y)), held)
        order = path(matrix[train], y[train], solver)[:steps]
        coefficients = prefix_fits(matrix[train][:, order], y[train])[0]
        with np.errstate(all="ignore"):
            residuals[held, : len(order)] = y[held, None] - matrix[held][:, order] @ coefficients
    return residuals


def kfold_split(n: int, folds: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Rows of each of ``folds`` folds of a random permutation of ``range(n)``."""
    return np.array_split(rng.permutation(n), min(folds, n))
