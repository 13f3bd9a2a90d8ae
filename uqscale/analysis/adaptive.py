"""Expansions whose solver, degree, truncation and terms are chosen by their honest
(cross-validated) error.

Every target gets the candidate of :mod:`uqscale.analysis.procedure` with the smallest
honest error, or the stack of candidates when that is honestly better. A field output is
fitted through its principal components (Blatman and Sudret 2013): at most ``n`` targets
however many points the field has, and every point's expansion is the same linear
combination of the components' expansions, so its indices and errors follow exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from uqscale.analysis.polynomials import Basis
from uqscale.analysis.procedure import (
    Candidate,
    Choice,
    Member,
    Validation,
    choose,
    union_of_supports,
)
from uqscale.analysis.sparse import Selection, kfold_split, select

RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Settings:
    """How to fit: the candidate (solver, q-norm) families and degrees, and the
    validation. ``families`` defaults to ``((solver, q_norm),)``."""

    solver: str
    orders: tuple[int, ...]
    q_norm: float = 1.0
    cv: str = "loo"
    folds: int = 5
    families: tuple[tuple[str, float], ...] = ()

    @property
    def candidates(self) -> tuple[tuple[str, float], ...]:
        """The (solver, q-norm) families tried."""
        return self.families or ((self.solver, self.q_norm),)

    @property
    def fixed(self) -> bool:
        """Least squares on every term of one degree: nothing to choose."""
        return self.candidates == (("ols", self.q_norm),) and len(self.orders) == 1


@dataclass(frozen=True)
class Targets:
    """What is fitted for one output: ``values`` ``(n, K)`` and, for principal
    components, the ``loadings`` ``(K, P)`` and ``offset`` ``(P,)`` back to points."""

    values: np.ndarray
    loadings: np.ndarray | None = None
    offset: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray, components: bool) -> Targets:
        """The points themselves, or (``components`` and several points) the scores of
        the centred field's principal components above the numerical rank.

        Parameters
        ----------
        values
            The output at every sample and point, ``(n, P)``.
        components
            Whether a field is fitted through its principal components.

        Returns
        -------
        Targets
            What is fitted.
        """
        if not components or values.shape[1] == 1:
            return cls(values)
        offset = values.mean(axis=0)
        u, s, vt = np.linalg.svd(values - offset, full_matrices=False)
        keep = s > (s[0] if len(s) else 0.0) * RANK_TOLERANCE
        return cls(u[:, keep] * s[keep], vt[keep], offset)

    def coefficients(self, per_target: np.ndarray) -> np.ndarray:
        """Coefficients ``(..., T, K)`` of the targets as those of the points."""
        if self.loadings is None:
            return per_target
        points = per_target @ self.loadings
        points[..., 0, :] += self.offset
        return cast("np.ndarray", points)

    def residuals(self, per_target: np.ndarray) -> np.ndarray:
        """Residuals ``(n, K)`` of the targets as those of the points."""
        return per_target if self.loadings is None else per_target @ self.loadings


@dataclass(frozen=True)
class Expansion:
    """Fitted expansions of ``K`` targets on one basis.

    Attributes
    ----------
    basis
        Holds every chosen term (the union of the targets' supports), constant first.
    coefficients
        ``(T, K)``, zero outside each target's support.
    pieces
        ``(rows of basis, target columns)`` of the targets sharing a support.
    cv_residuals, loo_residuals
        ``(n, K)``, see :class:`uqscale.analysis.sparse.Selection`.
    orders
        The degree chosen for each target, ``(K,)``.
    chosen
        The members of every piece (candidates, their bases, fits and weights),
        heaviest first.
    """

    basis: Basis
    coefficients: np.ndarray
    pieces: tuple[tuple[np.ndarray, np.ndarray], ...]
    cv_residuals: np.ndarray
    loo_residuals: np.ndarray
    orders: np.ndarray
    chosen: tuple[tuple[Member, ...], ...]

    @property
    def order(self) -> int:
        """The highest degree chosen."""
        return int(self.orders.max(initial=0))

    @property
    def terms(self) -> int:
        """Number of terms the fit kept (the union of its pieces' supports), the
        constant (which carries the mean) included. Counted from the supports, not
        from the nonzero coefficients: least squares on every term can give a term
        a coefficient of exactly zero (a linear model fitted at degree 3 did, with
        numpy 2.4's LAPACK), which is still a term of the fit."""
        return len(self.basis)


class TooFewSamplesError(ValueError):
    """No candidate degree can be fitted from the samples at hand."""


def fit(
    x: np.ndarray, values: np.ndarray, master: Basis, settings: Settings, rng: np.random.Generator
) -> Expansion:
    """Fit every target of ``values`` ``(n, K)`` at the points ``x`` ``(n, d)``.

    Parameters
    ----------
    x
        The samples ``(n, d)``.
    values
        The targets ``(n, K)``.
    master
        Holds every input's univariate polynomials up to ``max(settings.orders)``.
    settings
        The candidates and the validation.
    rng
        Draws the cross-validation folds.

    Returns
    -------
    Expansion
        Every target's chosen fit, on the union of their terms.

    Raises
    ------
    TooFewSamplesError
        When no candidate can be fitted.
    """
    if settings.fixed:
        order = settings.orders[0]
        basis = master.truncate(order, settings.q_norm)
        assert basis is not None  # no limit given: truncate returns None only over a limit
        if len(basis) >= len(x):
            raise TooFewSamplesError(f"{len(x)} samples for {len(basis)} terms")
        folds = kfold_split(len(x), settings.folds, rng) if settings.cv == "kfold" else None
        found = select(basis.matrix(x), values, "ols", folds)
        choice = Choice.single(Candidate("ols", order, settings.q_norm), basis, found)
        return _assemble([(choice, np.arange(values.shape[1]))], values.shape)
    validation = Validation(kfold_split(len(x), settings.folds, rng))
    chosen = []
    for k in range(values.shape[1]):
        picked = choose(
            x, values[:, k : k + 1], master, settings.candidates, settings.orders, validation
        )
        if picked is None:
            raise TooFewSamplesError(
                f"{len(x)} samples are too few for any candidate "
                f"expansion of degree {settings.orders[0]}"
            )
        chosen.append((picked, np.array([k])))
    return _assemble(chosen, values.shape)


def _assemble(chosen: list[tuple[Choice, np.ndarray]], shape: tuple[int, int]) -> Expansion:
    """One expansion on the union of the chosen supports."""
    n, targets = shape
    basis, rows_of = union_of_supports([(choice.basis, choice.selection) for choice, _ in chosen])
    coefficients = np.zeros((len(basis), targets))
    cv, loo = np.zeros((n, targets)), np.zeros((n, targets))
    orders = np.zeros(targets, dtype=int)
    pieces = []
    for (choice, columns), rows in zip(chosen, rows_of, strict=True):
        found: Selection = choice.selection
        coefficients[np.ix_(rows, columns)] = found.coefficients
        cv[:, columns], loo[:, columns] = found.cv_residuals, found.loo_residuals
        orders[columns] = max(member.candidate.order for member in choice.members)
        pieces.append((rows, columns))
    return Expansion(
        basis,
        coefficients,
        tuple(pieces),
        cv,
        loo,
        orders,
        tuple(choice.members for choice, _ in chosen),
    )
