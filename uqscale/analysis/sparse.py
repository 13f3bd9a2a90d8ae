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
MIN_SLACK = 1e-6
PAST_BEST, EXTRA_STEPS = 2, 10
"""A held-out OMP path stops at twice the length of its best prefix plus ten terms."""
FOLD_STANDARD_ERRORS = 2.0
"""A fold's moment gap shrinks each difference by this many standard errors: a fold's
training rows are a random subset, not the design, and the gap is taken at every
prefix of every fold, so a sound fit must not be raised by chance in one of them.
Studied at 0-3 (docs/pce-benchmarks.md): below 2 exact fits get a non-zero error and
sound ones a too pessimistic one; at 3 an aliased G-function fit slips through."""
RANK_TOLERANCE = 1e-8
"""A column whose part orthogonal to the path's columns is shorter is not taken."""


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


def path(matrix: np.ndarray, y: np.ndarray, solver: str, length: int | None = None) -> np.ndarray:
    """Columns of ``matrix`` in the order the solver takes them, constant first.

    Parameters
    ----------
    matrix
        Candidate basis evaluated at the samples, ``(n, T)``; column 0 is constant.
    y
        The target, ``(n,)``.
    solver
        ``ols`` (every column, in order), ``omp`` or ``lars``.
    length
        Most terms to take, the constant included; default one short of the samples.

    Returns
    -------
    numpy.ndarray
        Column numbers starting with 0; a sparse path stops one term short of the
        number of samples (no blind cap below that: Chapelle's correction of the
        leave-one-out error grows without bound as the terms approach ``n``, and
        the held-out error of :func:`held_out_curve` judges the rest).
    """
    n, terms = matrix.shape
    steps = min(terms - 1, n - 2, terms if length is None else length - 1)
    if solver == "ols" or steps < 1:
        return np.arange(terms if solver == "ols" else 1)
    x, target = _standardised(matrix, y)[:2]
    with warnings.catch_warnings():
        # Exact fits end a path early; scikit-learn warns, we only need the order.
        warnings.simplefilter("ignore")
        if solver == "lars":
            from sklearn.linear_model import lars_path

            active = lars_path(x, target, max_iter=steps, method="lar", return_path=False)[1]
        else:
            active = _omp_order(x, target, steps)[0]
    return np.concatenate([[0], 1 + np.asarray(active, dtype=int)])


def _standardised(
    matrix: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray | None = None,
    values: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The non-constant columns of ``matrix`` and ``y``, centred and scaled by their
    means and column norms, and the same transformation of held-out ``rows`` and
    ``values`` (empty if not given)."""
    mean, scale = _column_moments(matrix)
    x = (matrix[:, 1:] - mean) / scale
    centre = y.mean()
    if rows is None or values is None:
        return x, y - centre, np.zeros((0, x.shape[1])), np.zeros(0)
    return x, y - centre, (rows[:, 1:] - mean) / scale, values - centre


def _column_moments(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and norm (1 where zero) of the centred non-constant columns of ``matrix``."""
    mean = matrix[:, 1:].mean(axis=0)
    centred = matrix[:, 1:] - mean
    norms = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    return mean, np.where(norms > 0, norms, 1.0)


def held_out_curve(
    matrix: np.ndarray, y: np.ndarray, solver: str, train: np.ndarray, held: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The solver's path on the ``train`` rows and the residuals of every prefix's
    least-squares fit at the ``held`` rows, each raised to the prefix's
    :func:`moment_gap` against the training rows (:func:`at_least_gap`): held-out rows
    of the same design can miss a fit whose terms alias on it, and so the cut of the
    path would favour it.

    Parameters
    ----------
    matrix
        Candidate basis at the samples ``(n, T)``, column 0 constant.
    y
        The target ``(n,)``.
    solver
        ``omp`` or ``lars``.
    train, held
        Row numbers of the fold's training and held-out rows.

    Returns
    -------
    order
        Columns of the path, constant first, ``(k,)``.
    residuals
        ``(len(held), k)``: column ``j`` for the first ``j + 1`` columns.
    """
    if solver == "omp":
        x, target, x_held, target_held = _standardised(
            matrix[train], y[train], matrix[held], y[held]
        )
        steps = min(matrix.shape[1] - 1, len(train) - 2)
        taken, residuals, scaled = _omp_order(x, target, steps, x_held, target_held)
        mean, scale = _column_moments(matrix[train])
        shape = scaled / scale[taken, None]  # on the orthonormal terms
        constant = y[train].mean() - mean[taken] @ shape
        order, coefficients = np.concatenate([[0], 1 + taken]), np.vstack([constant, shape])
    else:
        order = path(matrix[train], y[train], solver)
        coefficients = prefix_fits(matrix[train][:, order], y[train])[0]
        with np.errstate(all="ignore"):
            residuals = y[held, None] - matrix[held][:, order] @ coefficients
    return order, at_least_gap(residuals, coefficients, y[train])


def at_least_gap(residuals: np.ndarray, coefficients: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Held-out ``residuals`` ``(h, K)`` of ``K`` fits scaled up where their relative mean
    square is below the fit's :func:`moment_gap` against its training targets.

    Parameters
    ----------
    residuals
        Held-out residuals ``(h, K)``.
    coefficients
        The fits on an orthonormal basis, constant first, ``(T, K)``.
    y
        The training targets: ``(n,)`` shared by every fit, or ``(n, K)``.

    Returns
    -------
    numpy.ndarray
        ``(h, K)``; a fit whose residuals are all zero gets constant ones of the gap's size.
    """
    targets = y[:, None] if y.ndim == 1 else y
    variance = targets.var(axis=0)
    gap = moment_gap(coefficients, targets, FOLD_STANDARD_ERRORS) * variance
    with np.errstate(all="ignore"):
        mean_square = (residuals**2).mean(axis=0)
        scale = np.where(gap > mean_square, np.sqrt(gap / mean_square), 1.0)
        raised = np.where(mean_square > 0, residuals * scale, np.sqrt(gap))
    return np.where(np.isnan(raised), residuals, raised)


def _omp_order(
    x: np.ndarray,
    target: np.ndarray,
    steps: int,
    x_held: np.ndarray | None = None,
    target_held: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns in the order orthogonal matching pursuit activates them (standardised
    columns ``x`` and ``target``), the residuals at held-out rows and every prefix's
    coefficients.

    Each step takes the column most correlated with the residual and projects the
    residual off it, by Gram-Schmidt against the columns taken (twice, for
    orthogonality). The same combination of columns at held-out rows gives every
    prefix's held-out residuals for free; with held-out rows the path stops once it has
    run :data:`PAST_BEST` times as long as its best prefix plus :data:`EXTRA_STEPS`
    (terms that far past the minimum never win). Written out rather than
    scikit-learn's ``orthogonal_mp`` for its overhead on many small paths and for
    those held-out residuals.

    Returns
    -------
    taken
        Column numbers of ``x`` in order.
    residuals
        ``(held rows, len(taken) + 1)``, the constant-only fit first (empty without
        held-out rows).
    coefficients
        ``(len(taken), len(taken) + 1)``: column ``j`` holds the coefficients of
        ``x[:, taken]`` in the fit on the first ``j`` of them.
    """
    n, terms = x.shape
    basis = np.empty((n, steps))
    # basis[:, k] = x[:, taken] @ weights[:, k]; fits[:, j]: the fit on j columns.
    weights, fits = np.zeros((steps, steps)), np.zeros((steps, steps + 1))
    residual = target.astype(float).copy()
    held = np.zeros((0, terms)) if x_held is None else x_held
    basis_held = np.empty((len(held), steps))
    curve = [np.zeros(0) if target_held is None else target_held.astype(float)]
    taken: list[int] = []
    free = np.ones(terms, dtype=bool)
    scale = max(float(np.sqrt(target @ target)), TINY)
    best, best_length = np.inf, 0
    while (
        len(taken) < steps
        and free.any()
        and (x_held is None or len(taken) <= PAST_BEST * best_length + EXTRA_STEPS)
    ):
        scores = np.where(free, np.abs(x.T @ residual), -1.0)
        column = int(np.argmax(scores))
        if scores[column] <= TINY * scale:
            break
        free[column] = False
        k = len(taken)
        first = basis[:, :k].T @ x[:, column]
        v = x[:, column] - basis[:, :k] @ first
        second = basis[:, :k].T @ v
        v -= basis[:, :k] @ second
        norm = float(np.sqrt(v @ v))
        if norm < RANK_TOLERANCE:  # a combination of the columns taken
            continue
        basis[:, k] = v / norm
        basis_held[:, k] = (held[:, column] - basis_held[:, :k] @ (first + second)) / norm
        weights[:k, k] = -(weights[:k, :k] @ (first + second)) / norm
        weights[k, k] = 1.0 / norm
        step = basis[:, k] @ residual
        fits[:, k + 1] = fits[:, k] + weights[:, k] * step
        residual -= basis[:, k] * step
        curve.append(curve[-1] - basis_held[:, k] * step)
        taken.append(column)
        error = float(np.mean(curve[-1] ** 2)) if len(held) else 0.0
        if error < best:
            best, best_length = error, len(taken)
    k = len(taken)
    return (
        np.asarray(taken, dtype=int),
        np.column_stack(curve) if len(held) else curve[0],
        fits[:k, : k + 1],
    )


def prefix_fits(columns: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares on every prefix of ``columns`` ``(n, k)``, at once.

    Parameters
    ----------
    columns
        The basis columns in path order, ``(n, k)``.
    y
        The target ``(n,)``.

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
        loo = loo_residuals(y[:, None] - fitted, leverage)
    return coefficients, loo, np.cumsum((inverse**2).sum(axis=0))


def loo_residuals(residuals: np.ndarray, leverage: np.ndarray) -> np.ndarray:
    """Leave-one-out residuals ``r_i / (1 - h_i)`` of a least-squares fit; ``inf``
    where ``1 - h_i`` is below :data:`MIN_SLACK`, where a fit that (nearly) passes
    through the point cannot say what it would predict without it: rounding makes
    ``r_i`` and ``1 - h_i`` both tiny there, and their ratio spuriously small lets a
    path that nearly interpolates look like the best.

    Parameters
    ----------
    residuals
        Residuals ``r_i`` of the fit, any shape.
    leverage
        Leverages ``h_i``, broadcastable to ``residuals``.

    Returns
    -------
    numpy.ndarray
        The leave-one-out residuals, shaped as ``residuals``.
    """
    with np.errstate(all="ignore"):
        return np.where(1.0 - leverage > MIN_SLACK, residuals / (1.0 - leverage), np.inf)


def correction(n: int, size: np.ndarray, inverse_trace: np.ndarray) -> np.ndarray:
    """Chapelle's factor ``n / (n - k) (1 + trace(C^-1) / n)``, ``C = A^T A / n``, for
    fits of ``size`` terms: it makes the leave-one-out error of terms chosen on the
    same samples less optimistic (Blatman and Sudret 2011, eq. 41); ``inf`` where
    ``k >= n``.

    Parameters
    ----------
    n
        Number of samples.
    size
        Terms ``k`` of each fit.
    inverse_trace
        ``trace((A^T A)^-1)`` of each fit (:func:`prefix_fits`).

    Returns
    -------
    numpy.ndarray
        The factor of each fit, shaped as ``size``.
    """
    with np.errstate(all="ignore"):
        factor = n / (n - size) * (1.0 + inverse_trace)
    return np.where((size < n) & np.isfinite(factor), factor, np.inf)


def select(
    matrix: np.ndarray, y: np.ndarray, solver: str, folds: list[np.ndarray] | None = None
) -> Selection:
    """Terms of ``matrix`` for the targets ``y`` ``(n, K)``: every term for ``ols``
    (any ``K``), else the solver's path for the single target, cut at the length
    whose K-fold error is smallest (each fold's own path and fits on its training
    rows), then the path on all rows to that length.

    Parameters
    ----------
    matrix
        Candidate basis at the samples ``(n, T)``, column 0 constant.
    y
        The targets ``(n, K)``; ``K = 1`` unless ``solver`` is ``ols``.
    solver
        One of :data:`SOLVERS`.
    folds
        Held-out rows of each fold for K-fold cross-validation; ``None`` (least
        squares only) for Chapelle's corrected leave-one-out error.

    Returns
    -------
    Selection
        The chosen terms, their fit and honest error (at least the moment gap).
    """
    if solver == "ols":
        return _full(matrix, y, folds)
    if folds is None:
        raise ValueError(f"solver {solver!r} needs folds to cut its path")
    residuals = _held_out(matrix, y[:, 0], solver, folds)
    errors = relative_error(residuals, y[:, 0])
    best = int(np.argmin(errors))
    order = path(matrix, y[:, 0], solver, length=best + 1)
    coefficients, loo, _ = prefix_fits(matrix[:, order], y[:, 0])
    last = len(order) - 1
    return _at_least_moment_gap(
        Selection(
            order,
            coefficients[:, last : last + 1],
            errors[best : best + 1],
            residuals[:, best : best + 1],
            loo[:, last : last + 1],
        ),
        y,
    )


def _full(matrix: np.ndarray, y: np.ndarray, folds: list[np.ndarray] | None) -> Selection:
    """Least squares on every column, for many targets at once."""
    q, r = qr(matrix, mode="economic")
    with np.errstate(all="ignore"):
        coefficients = solve_triangular(r, q.T @ y)
        loo = loo_residuals(y - matrix @ coefficients, (q**2).sum(axis=1)[:, None])
        inverse_trace = (solve_triangular(r, np.eye(len(r))) ** 2).sum()
    if folds is None:
        residuals = loo * np.sqrt(correction(len(y), np.array(len(r)), inverse_trace))
    else:
        residuals = np.empty_like(y)
        for held in folds:
            train = np.setdiff1d(np.arange(len(y)), held)
            fitted = np.linalg.lstsq(matrix[train], y[train], rcond=None)[0]
            residuals[held] = at_least_gap(y[held] - matrix[held] @ fitted, fitted, y[train])
    return _at_least_moment_gap(
        Selection(
            np.arange(matrix.shape[1]), coefficients, relative_error(residuals, y), residuals, loo
        ),
        y,
    )


def moment_gap(coefficients: np.ndarray, y: np.ndarray, standard_errors: float = 1.0) -> np.ndarray:
    """A lower bound on the relative error of an orthonormal expansion, from its own
    mean and standard deviation against those of the samples ``y`` ``(n, K)``.

    With ``coefficients`` ``(T, K)`` on an orthonormal basis (constant first), the
    expansion's mean is ``c_0`` and its standard deviation ``||c_1..||``; the
    squared distance to the model is the squared difference of the means plus that of
    the centred parts, at least the squared difference of their standard deviations
    (triangle inequality). Each difference is first shrunk by ``standard_errors``
    standard errors of the samples' estimate (independent sampling; a low-discrepancy design does
    better), so a sound fit is not penalised. Held-out points of the same design can
    miss an expansion whose terms alias on the design (they look orthogonal on its
    points but not under the input distribution); its variance then departs from the
    samples' and this bound sees it.

    Parameters
    ----------
    coefficients
        ``(T, K)`` on an orthonormal basis, constant first.
    y
        The samples ``(n, K)`` (or ``(n, 1)`` shared by every column).
    standard_errors
        How many standard errors each difference is shrunk by.

    Returns
    -------
    numpy.ndarray
        ``(K,)``, relative to the samples' variance (0 for a constant ``y``).
    """
    n = len(y)
    centre = y.mean(axis=0)
    spread = y.std(axis=0)
    fourth = ((y - centre) ** 4).mean(axis=0)
    with np.errstate(all="ignore"):
        mean_gap = np.abs(coefficients[0] - centre) - standard_errors * spread / np.sqrt(n)
        sd_error = np.sqrt(np.maximum(fourth - spread**4, 0.0) / (4 * n)) / spread
        sd_gap = np.abs(np.sqrt((coefficients[1:] ** 2).sum(axis=0)) - spread) - (
            standard_errors * sd_error
        )
        gap = (np.maximum(mean_gap, 0.0) ** 2 + np.maximum(sd_gap, 0.0) ** 2) / spread**2
    return np.where(spread > 0, np.nan_to_num(gap, nan=0.0, posinf=np.inf), 0.0)


def _at_least_moment_gap(found: Selection, y: np.ndarray) -> Selection:
    """``found`` with its error raised to :func:`moment_gap` where that is larger (the
    held-out residuals scaled to match)."""
    raised = np.maximum(found.error, moment_gap(found.coefficients, y))
    with np.errstate(all="ignore"):
        scale = np.where(found.error > 0, np.sqrt(raised / found.error), 1.0)
    if np.all(scale == 1.0):
        return found
    return Selection(
        found.support, found.coefficients, raised, found.cv_residuals * scale, found.loo_residuals
    )


def relative_error(residuals: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared residuals over the variance of ``y``: 0 for a constant target
    fitted exactly, ``inf`` where not finite.

    Parameters
    ----------
    residuals
        ``(n, K)``.
    y
        The targets ``(n, K)``.

    Returns
    -------
    numpy.ndarray
        ``(K,)``.
    """
    variance = y.var(axis=0)
    with np.errstate(all="ignore"):
        mean_square = (residuals**2).mean(axis=0)
        errors = np.where(
            variance > 0, mean_square / variance, np.where(mean_square > 0, np.inf, 0.0)
        )
    return np.where(np.isfinite(errors), errors, np.inf)


def _held_out(
    matrix: np.ndarray, y: np.ndarray, solver: str, folds: list[np.ndarray]
) -> np.ndarray:
    """Held-out residuals ``(n, L)`` of every path length up to the longest fold's,
    each fold's path and fits chosen on its training rows; a fold whose path ended
    sooner (it fitted exactly, or its held-out error had long stopped falling) keeps
    its last prefix's residuals for the longer lengths."""
    curves = []
    for held in folds:
        train = np.setdiff1d(np.arange(len(y)), held)
        curves.append((held, held_out_curve(matrix, y, solver, train, held)[1]))
    longest = max(curve.shape[1] for _, curve in curves)
    residuals = np.empty((len(y), longest))
    for held, curve in curves:
        residuals[held, : curve.shape[1]] = curve
        residuals[held, curve.shape[1] :] = curve[:, -1:]
    return residuals


def kfold_split(n: int, folds: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Rows of each of ``folds`` folds of a random permutation of ``range(n)``.

    Parameters
    ----------
    n
        Number of rows.
    folds
        Number of folds (at most ``n``).
    rng
        Draws the permutation.

    Returns
    -------
    list of numpy.ndarray
        The held-out rows of every fold.
    """
    return np.array_split(rng.permutation(n), min(folds, n))
