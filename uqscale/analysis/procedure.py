"""The choice among candidate expansions by their honest error.

A *candidate* is a solver (``ols``, ``omp``, ``lars``), a degree and a q-norm
truncation. Its honest error is K-fold cross-validation of its whole procedure
(:func:`uqscale.analysis.sparse.select`): every fold runs the solver's path on its
training rows and predicts its held-out rows with every prefix of that path; the
path is cut at the length whose summed held-out error is smallest, and that error
is the candidate's. (Chapelle's corrected leave-one-out error, computed on the same
samples that chose the terms, was found to fall towards zero as a greedy path
approaches ``n`` terms: over many terms some prefix always looks good.) Least
squares on every term is cross-validated on the same folds. The candidate with the
smallest honest error wins, so a low-degree OLS fit beats a sparse one whenever it
predicts better.

Degrees of each (solver, truncation) family are tried upwards until the honest error
has not improved for :data:`PATIENCE` degrees in a row, or the candidate basis would
hold more than :data:`MAX_TERMS` terms, or (least squares) a fold could not fit it.

The fitted candidates are then *stacked* (Wolpert 1992; Breiman 1996, "Stacked
regressions"): non-negative weights summing to one that minimise the squared error of
their held-out predictions (:func:`stack_weights`), and the weighted sum of their fits,
coefficients on the union of their supports. The weights are fitted on the held-out
residuals, so the stack's error judged on those same residuals is optimistic; its
honest error is a second level of cross-validation on the same folds (each fold's
residuals weighted by the weights fitted on the other folds, :func:`stack`). Members
whose honest error is below what their distance to the winner implies are left out
(:func:`consistent`). The stack is kept when its residuals are smaller than the
winner's by :data:`STACK_STANDARD_ERRORS` standard errors; else the winner alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.optimize import nnls

from uqscale.analysis.polynomials import Basis
from uqscale.analysis.sparse import Selection, moment_gap, relative_error, select

PATIENCE = 2
TIE = 1e-3
"""A later candidate must lower the honest error by this fraction to win (ties go to
the earlier, simpler one: least squares before sparse, lower degrees first)."""
TINY = 1e-12
MAX_TERMS = 4000
"""Candidate bases with more terms are not tried (memory ``n x terms`` and path time)."""
STACK_STANDARD_ERRORS = 2.0
"""The stack is kept when its squared held-out residuals are below the winner's, row
by row, by more than this many standard errors of their mean difference: a stack a
little better by chance is not worth moving away from a sound single fit."""
SUM_WEIGHT = 1e3
"""How much more the sum-to-one row of :func:`stack_weights` weighs than the largest
residual column (the constraint holds to about its inverse squared before the weights
are normalised)."""


@dataclass(frozen=True)
class Candidate:
    """A solver, a degree and a q-norm truncation."""

    solver: str
    order: int
    q_norm: float


@dataclass(frozen=True)
class Member:
    """A fitted candidate and its weight in the expansion of one target."""

    candidate: Candidate
    basis: Basis
    selection: Selection
    weight: float = 1.0


@dataclass(frozen=True)
class Choice:
    """The expansion of one target: its basis and its fit, whose ``cv_residuals`` and
    ``error`` are the honest held-out ones, and the ``members`` it combines (heaviest
    first; one of weight 1 for a single candidate, whose basis and fit are these)."""

    basis: Basis
    selection: Selection
    members: tuple[Member, ...]

    @classmethod
    def single(cls, candidate: Candidate, basis: Basis, selection: Selection) -> Choice:
        """One candidate on its own.

        Parameters
        ----------
        candidate, basis, selection
            The candidate, its basis and its fit.

        Returns
        -------
        Choice
            The candidate's fit, its only member of weight 1.
        """
        return cls(basis, selection, (Member(candidate, basis, selection),))

    @property
    def candidate(self) -> Candidate:
        """The heaviest member's candidate."""
        return self.members[0].candidate


@dataclass(frozen=True)
class Validation:
    """The folds of the honest error, shared by every candidate."""

    outer: list[np.ndarray]

    def fits(self, terms: int, n: int, solver: str) -> bool:
        """Whether every fold's training rows can fit ``terms`` (least squares needs
        more rows than terms; a sparse path needs three rows).

        Parameters
        ----------
        terms
            Terms of the candidate basis.
        n
            Number of samples.
        solver
            One of :data:`uqscale.analysis.sparse.SOLVERS`.

        Returns
        -------
        bool
            True if every fold can fit the candidate.
        """
        smallest = n - max(len(held) for held in self.outer)
        return smallest > terms + 1 if solver == "ols" else smallest >= 3


def choose(
    x: np.ndarray,
    y: np.ndarray,
    master: Basis,
    families: Sequence[tuple[str, float]],
    orders: Sequence[int],
    validation: Validation,
) -> Choice | None:
    """The stack of the fitted candidates for one target ``y`` ``(n, 1)``, or the
    candidate of smallest honest error when the stack is not honestly better.

    Parameters
    ----------
    x
        The samples ``(n, d)``.
    master
        Holds every input's univariate polynomials up to ``max(orders)``.
    families
        ``(solver, q_norm)`` pairs; each is tried over ``orders`` (increasing).
    validation
        The folds shared by every candidate.

    Returns
    -------
    Choice or None
        None if no candidate can be fitted.
    """
    best: Member | None = None
    fitted: list[Member] = []
    tables = master.tables(x)
    for solver, q_norm in families:
        lowest, misses, size = np.inf, 0, 0
        for order in orders:
            basis = master.truncate(order, q_norm, limit=MAX_TERMS)
            if basis is None or not validation.fits(len(basis), len(x), solver):
                break
            if len(basis) == size:  # a hyperbolic truncation may add no term
                continue
            size = len(basis)
            found = select(basis.matrix(x, tables), y, solver, validation.outer)
            fitted.append(Member(Candidate(solver, order, q_norm), basis, found))
            error = float(found.error[0])
            if best is None or error < (1.0 - TIE) * float(best.selection.error[0]) - TINY:
                best = fitted[-1]
            lowest, misses = (error, 0) if error < lowest else (lowest, misses + 1)
            if misses >= PATIENCE or error == 0.0:
                break
    return None if best is None else stack(fitted, best, y, validation.outer)


def stack(fitted: Sequence[Member], best: Member, y: np.ndarray, folds: list[np.ndarray]) -> Choice:
    """The weighted sum of the ``fitted`` candidates consistent with ``best``, if its
    squared held-out residuals are below ``best``'s by :data:`STACK_STANDARD_ERRORS`
    standard errors; else ``best`` alone.

    The weights minimise the squared error of the candidates' held-out residuals
    (:func:`stack_weights`). The stack's honest error is that of the same procedure one
    level up: the residuals of every fold weighted by the weights fitted on the other
    folds' rows, at least the :func:`uqscale.analysis.sparse.moment_gap` of the
    combined coefficients.

    Parameters
    ----------
    fitted
        Every fitted candidate.
    best
        The one of smallest honest error.
    y
        The target ``(n, 1)``.
    folds
        Held-out rows of each fold, those of the candidates' residuals.

    Returns
    -------
    Choice
        The stack, its members of positive weight heaviest first, or ``best`` alone.
    """
    alone = Choice.single(best.candidate, best.basis, best.selection)
    usable = [m for m in fitted if np.isfinite(m.selection.error[0]) and consistent(m, best, y)]
    if len(usable) < 2 or best.selection.error[0] <= TINY:  # rounding: an exact fit
        return alone
    residuals = np.column_stack([m.selection.cv_residuals[:, 0] for m in usable])
    outer = np.empty(len(y))
    for held in folds:
        train = np.setdiff1d(np.arange(len(y)), held)
        outer[held] = residuals[held] @ stack_weights(residuals[train])
    weights = stack_weights(residuals)
    members = tuple(
        Member(m.candidate, m.basis, m.selection, float(w))
        for w, m in sorted(zip(weights, usable, strict=True), key=lambda pair: -pair[0])
        if w > 0
    )
    union, combined = _combined(members, y, outer)
    gain = best.selection.cv_residuals[:, 0] ** 2 - combined.cv_residuals[:, 0] ** 2
    if not gain.mean() > STACK_STANDARD_ERRORS * gain.std(ddof=1) / np.sqrt(len(gain)):
        return alone
    return Choice(union, combined, members)


def union_of_supports(
    fits: Sequence[tuple[Basis, Selection]],
) -> tuple[Basis, list[np.ndarray]]:
    """The basis of the union of the ``fits``' supports (each a basis and its fit) and,
    for each fit, the rows of its support in that basis.

    Parameters
    ----------
    fits
        Bases and the fits on them, of one set of univariate polynomials.

    Returns
    -------
    tuple
        The union's basis, and each fit's rows in it.
    """
    supports = [basis.indices[selection.support] for basis, selection in fits]
    union = Basis(np.unique(np.concatenate(supports), axis=0), fits[0][0].univariate)
    rows = union.rows(np.concatenate(supports))
    return union, np.split(rows, np.cumsum([len(support) for support in supports])[:-1])


def _combined(
    members: Sequence[Member], y: np.ndarray, outer: np.ndarray
) -> tuple[Basis, Selection]:
    """The union of the weighted ``members``' supports (its basis) and their fit on
    it: the weighted coefficients, the leave-one-out residuals weighted alike, and the
    held-out residuals ``outer`` ``(n,)`` raised to the combination's moment gap."""
    union, rows_of = union_of_supports([(m.basis, m.selection) for m in members])
    coefficients = np.zeros((len(union), 1))
    loo = np.zeros_like(y, dtype=float)
    for member, rows in zip(members, rows_of, strict=True):
        coefficients[rows] += member.weight * member.selection.coefficients
        loo += member.weight * member.selection.loo_residuals
    found = float(relative_error(outer[:, None], y)[0])
    error = max(found, float(moment_gap(coefficients, y)[0]))
    scaled = outer[:, None] * (np.sqrt(error / found) if found > 0 else 1.0)
    return union, Selection(np.arange(len(union)), coefficients, np.array([error]), scaled, loo)


def consistent(member: Member, best: Member, y: np.ndarray) -> bool:
    """Whether ``member``'s honest error is at least what its distance to ``best``
    implies: on orthonormal bases the distance of two expansions under the input
    distribution is that of their coefficients, and by the triangle inequality the
    member's error is at least the square of that distance less the square root of
    ``best``'s error (relative to the variance of ``y``). Held-out rows of the
    design cannot see terms that alias on it; the coefficients can.

    Parameters
    ----------
    member, best
        Two fitted candidates.
    y
        The target ``(n, 1)``.

    Returns
    -------
    bool
        False if the member's honest error is below that bound.
    """
    variance = float(y.var())
    union, rows_of = union_of_supports([(fit.basis, fit.selection) for fit in (member, best)])
    difference = np.zeros(len(union))
    for fit, rows, sign in zip((member, best), rows_of, (1.0, -1.0), strict=True):
        difference[rows] += sign * fit.selection.coefficients[:, 0]
    distance = float(np.sqrt(difference @ difference / variance)) if variance > 0 else 0.0
    bound = max(distance - float(np.sqrt(best.selection.error[0])), 0.0) ** 2
    return bound <= float(member.selection.error[0])


def stack_weights(residuals: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to one whose combination of the held-out
    ``residuals`` ``(n, M)`` of ``M`` candidates has the least sum of squares: with
    weights summing to one that is the squared error of the combined held-out
    predictions (Breiman 1996's non-negative least squares, here with the sum
    constraint as a heavily weighted extra row, :data:`SUM_WEIGHT`).

    Parameters
    ----------
    residuals
        Held-out residuals of every candidate, finite, ``(n, M)``.

    Returns
    -------
    numpy.ndarray
        ``(M,)``, non-negative, summing to one.

    Examples
    --------
    Two candidates whose errors cancel half way:

    >>> stack_weights(np.array([[1.0, -1.0], [2.0, -2.0]]))
    array([0.5, 0.5])
    """
    scale = max(float(np.sqrt((residuals**2).sum(axis=0)).max()), TINY)
    rows = np.vstack([residuals / scale, np.full(residuals.shape[1], SUM_WEIGHT)])
    target = np.zeros(len(rows))
    target[-1] = SUM_WEIGHT
    weights = nnls(rows, target)[0]
    return cast("np.ndarray", weights / weights.sum())
