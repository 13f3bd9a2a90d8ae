"""Expansions whose degree and terms are chosen by cross-validation.

Every target gets the degree whose best path prefix (:mod:`uqscale.analysis.sparse`)
has the smallest cross-validation error; degrees are tried upwards until the error
has not improved for :data:`PATIENCE` degrees in a row. A field output is fitted
through its principal components (Blatman and Sudret 2013): at most ``n`` targets
however many points the field has, and every point's expansion is the same linear
combination of the components' expansions, so its indices and errors follow exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uqscale.analysis.polynomials import Basis
from uqscale.analysis.sparse import Selection, kfold_split, select

PATIENCE = 3
RANK_TOLERANCE = 1e-10
MAX_TERMS = 4000
"""Degrees whose basis holds more terms are not tried (memory and time)."""


@dataclass(frozen=True)
class Settings:
    """How to fit: the solver, the candidate degrees, truncation and validation."""

    solver: str
    orders: tuple[int, ...]
    q_norm: float = 1.0
    cv: str = "loo"
    folds: int = 5


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
        the centred field's principal components above the numerical rank."""
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
        return points

    def residuals(self, per_target: np.ndarray) -> np.ndarray:
        """Residuals ``(n, K)`` of the targets as those of the points."""
        return per_target if self.loadings is None else per_target @ self.loadings


@dataclass(frozen=True)
class Expansion:
    """Fitted expansions of ``K`` targets on one basis.

    Attributes
    ----------
    basis
        Holds every chosen term (the basis of the highest chosen degree).
    coefficients
        ``(T, K)``, zero outside each target's support.
    pieces
        ``(rows of basis, target columns)`` of the targets sharing a support.
    cv_residuals, loo_residuals
        ``(n, K)``, see :class:`uqscale.analysis.sparse.Selection`.
    orders
        The degree chosen for each target, ``(K,)``.
    """

    basis: Basis
    coefficients: np.ndarray
    pieces: tuple[tuple[np.ndarray, np.ndarray], ...]
    cv_residuals: np.ndarray
    loo_residuals: np.ndarray
    orders: np.ndarray

    @property
    def order(self) -> int:
        """The highest degree chosen."""
        return int(self.orders.max(initial=0))

    @property
    def terms(self) -> int:
        """Number of terms with a nonzero coefficient for some target, the constant
        (which carries the mean) included."""
        return 1 + int((self.coefficients[1:] != 0).any(axis=1).sum())


class TooFewSamplesError(ValueError):
    """No candidate degree can be fitted from the samples at hand."""


def fit(x: np.ndarray, values: np.ndarray, master: Basis, settings: Settings,
        rng: np.random.Generator) -> Expansion:
    """Fit every target of ``values`` ``(n, K)`` at the points ``x`` ``(n, d)``.

    Parameters
    ----------
    master
        A basis of degree at least ``max(settings.orders)``, whose univariate
        polynomials every candidate shares.
    rng
        Draws the K-fold split.

    Raises
    ------
    TooFewSamplesError
        When not even the lowest degree can be fitted.
    """
    folds = kfold_split(len(x), settings.folds, rng) if settings.cv == "kfold" else None
    if settings.solver == "ols" and len(settings.orders) == 1:
        basis = master.truncate(settings.orders[0], settings.q_norm)
        if len(basis) > len(x):
            raise TooFewSamplesError(f"{len(x)} samples for {len(basis)} terms")
        everyone = np.arange(values.shape[1])
        found = select(basis.matrix(x), values, "ols", folds)
        return _assemble(master, settings, [(settings.orders[0], basis, found, everyone)],
                         values.shape)
    chosen = _sweep(x, values, master, settings, folds)
    return _assemble(master, settings, chosen, values.shape)


def _sweep(x: np.ndarray, values: np.ndarray, master: Basis, settings: Settings,
           folds: list[np.ndarray] | None) -> list[tuple[int, Basis, Selection, np.ndarray]]:
    """Each target's best ``(degree, basis, selection, [target])`` over the degrees."""
    targets = values.shape[1]
    best: list[tuple[int, Basis, Selection, np.ndarray] | None] = [None] * targets
    misses = np.zeros(targets, dtype=int)
    for order in settings.orders:
        basis = master.truncate(order, settings.q_norm)
        active = np.flatnonzero(misses < PATIENCE)
        if not len(active) or not _feasible(len(basis), len(x), settings.solver):
            break
        matrix = basis.matrix(x)
        for k in active:
            found = select(matrix, values[:, k: k + 1], settings.solver, folds)
            if best[k] is None or found.error[0] < best[k][2].error[0]:
                best[k], misses[k] = (order, basis, found, np.array([k])), 0
            else:
                misses[k] += 1
    if targets and best[0] is None:
        raise TooFewSamplesError(f"{len(x)} samples are too few for degree {settings.orders[0]}")
    return [b for b in best if b is not None]


def _feasible(terms: int, samples: int, solver: str) -> bool:
    """Whether a basis of ``terms`` can be fitted (and cross-validated)."""
    return terms <= MAX_TERMS and (solver != "ols" or terms < samples - 1)


def _assemble(master: Basis, settings: Settings,
              chosen: list[tuple[int, Basis, Selection, np.ndarray]],
              shape: tuple[int, int]) -> Expansion:
    """One expansion on the basis of the highest chosen degree."""
    n, targets = shape
    orders = np.zeros(targets, dtype=int)
    for order, _, _, columns in chosen:
        orders[columns] = order
    basis = master.truncate(int(orders.max(initial=settings.orders[0])), settings.q_norm)
    coefficients = np.zeros((len(basis), targets))
    cv, loo = np.zeros((n, targets)), np.zeros((n, targets))
    supports = [own.indices[found.support] for _, own, found, _ in chosen]
    rows_of = np.split(basis.rows(np.concatenate(supports)),
                       np.cumsum([len(s) for s in supports])[:-1]) if supports else []
    pieces = []
    for (_, _, found, columns), rows in zip(chosen, rows_of, strict=True):
        coefficients[np.ix_(rows, columns)] = found.coefficients
        cv[:, columns], loo[:, columns] = found.cv_residuals, found.loo_residuals
        pieces.append((rows, columns))
    return Expansion(basis, coefficients, tuple(pieces), cv, loo, orders)
