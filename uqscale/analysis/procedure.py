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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uqscale.analysis.polynomials import Basis
from uqscale.analysis.sparse import Selection, select

PATIENCE = 2
TIE = 1e-3
"""A later candidate must lower the honest error by this fraction to win (ties go to
the earlier, simpler one: least squares before sparse, lower degrees first)."""
TINY = 1e-12
MAX_TERMS = 4000
"""Candidate bases with more terms are not tried (memory ``n x terms`` and path time)."""


@dataclass(frozen=True)
class Candidate:
    """A solver, a degree and a q-norm truncation."""

    solver: str
    order: int
    q_norm: float


@dataclass(frozen=True)
class Choice:
    """The winning candidate of one target, its basis and its fit, whose
    ``cv_residuals`` and ``error`` are the honest held-out ones."""

    candidate: Candidate
    basis: Basis
    selection: Selection


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
    """The candidate of smallest honest error for one target ``y`` ``(n, 1)``.

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
    best: Choice | None = None
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
            error = float(found.error[0])
            if best is None or error < (1.0 - TIE) * float(best.selection.error[0]) - TINY:
                best = Choice(Candidate(solver, order, q_norm), basis, found)
            lowest, misses = (error, 0) if error < lowest else (lowest, misses + 1)
            if misses >= PATIENCE or error == 0.0:
                break
    return best
