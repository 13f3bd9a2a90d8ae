"""Orthonormal polynomial bases and Sobol indices from their coefficients.

The basis is a product of chaospy's univariate orthonormal polynomials (one family
per input, following its distribution), indexed by multi-indices. The regression
matrix is built here rather than through ``chaospy.fit_regression``: evaluating
univariate polynomials once per input and multiplying columns is fast, and the
multi-indices are what give Sobol indices in closed form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class Univariate(Protocol):
    """An input's orthonormal polynomials: ``len`` degrees, every one at points ``(n,)``
    as ``(degrees, n)``."""

    def __call__(self, x: np.ndarray) -> np.ndarray: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class Basis:
    """A truncated orthonormal basis: the multi-index of every term, shape ``(T, d)``
    (row 0 is the constant), and the univariate polynomials of every input."""

    indices: np.ndarray
    univariate: tuple[Univariate, ...]

    @classmethod
    def total_degree(cls, marginals: Sequence[Any], order: int, q: float = 1.0) -> Basis:
        """Terms whose q-norm of the multi-index is at most ``order`` (``q = 1``:
        total degree; ``q < 1``: hyperbolic truncation, fewer interactions).

        Parameters
        ----------
        marginals
            Every input's chaospy distribution.
        order
            The bound on the q-norm.
        q
            The q of the norm, in (0, 1].

        Returns
        -------
        Basis
            The truncated basis.
        """
        basis = cls.polynomials(marginals, order).truncate(order, q)
        assert basis is not None  # no limit
        return basis

    @classmethod
    def polynomials(cls, marginals: Sequence[Any], order: int) -> Basis:
        """Only the constant term, with every input's univariate polynomials up to
        ``order``: the shared start of candidate bases (:meth:`truncate`), which
        never holds more terms than a candidate. Inputs with the same distribution
        share one family.

        Parameters
        ----------
        marginals
            Every input's chaospy distribution.
        order
            The highest univariate degree.

        Returns
        -------
        Basis
            The constant term, with the univariate polynomials.
        """
        families: dict[str, Univariate] = {}
        for m in marginals:
            if repr(m) not in families:
                families[repr(m)] = orthonormal(m, order)
        return cls(
            np.zeros((1, len(marginals)), dtype=int), tuple(families[repr(m)] for m in marginals)
        )

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def order(self) -> int:
        """The highest degree of any univariate factor the basis can hold."""
        return len(self.univariate[0]) - 1 if self.univariate else 0

    def truncate(self, order: int, q: float = 1.0, limit: int | None = None) -> Basis | None:
        """The terms of q-norm at most ``order`` (``order`` at most :attr:`order`),
        sharing this basis' univariate polynomials (built once: they are costly).

        Parameters
        ----------
        order, q, limit
            As for :func:`multi_indices`.

        Returns
        -------
        Basis or None
            The truncated basis, None if it has more than ``limit`` terms.
        """
        if order > self.order:
            raise ValueError(f"order {order} exceeds the basis' {self.order}")
        indices = multi_indices(self.indices.shape[1], order, q, limit)
        return None if indices is None else Basis(indices, self.univariate)

    def rows(self, terms: np.ndarray) -> np.ndarray:
        """Row numbers of the multi-indices ``terms`` ``(k, d)`` in this basis (all
        must be in it)."""
        where = {tuple(row): i for i, row in enumerate(self.indices.tolist())}
        return np.array([where[tuple(row)] for row in terms.tolist()], dtype=int)

    def tables(self, x: np.ndarray) -> list[np.ndarray]:
        """Every input's univariate polynomials at the points ``x`` ``(n, d)``: one
        ``(n, order + 1)`` table per input, for :meth:`matrix` of many bases."""
        return [np.atleast_2d(polys(x[:, j])).T for j, polys in enumerate(self.univariate)]

    def matrix(self, x: np.ndarray, tables: list[np.ndarray] | None = None) -> np.ndarray:
        """Evaluate every term at the points ``x``.

        Parameters
        ----------
        x
            The points ``(n, d)``.
        tables
            :meth:`tables` at ``x``, which saves evaluating the polynomials again.

        Returns
        -------
        numpy.ndarray
            ``(n, T)``.
        """
        tables = self.tables(x) if tables is None else tables
        result = np.ones((len(x), len(self.indices)))
        for j, values in enumerate(tables):
            # Degree 0 is the constant 1: only the terms that hold input j change.
            holding = np.flatnonzero(self.indices[:, j])
            result[:, holding] *= values[:, self.indices[holding, j]]
        return result


@dataclass(frozen=True)
class Recurrence:
    """Orthonormal polynomials of degrees ``0 .. len(alpha) - 1`` from the three-term
    recurrence ``sqrt(b[k+1]) p[k+1] = (x - a[k]) p[k] - sqrt(b[k]) p[k-1]`` of their
    distribution (chaospy's ``ttr``): evaluated in a loop over degrees, stable and
    much faster than building the polynomials symbolically."""

    alpha: np.ndarray
    beta: np.ndarray

    def __len__(self) -> int:
        return len(self.alpha)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Every degree at the points ``x`` ``(n,)``: ``(degrees, n)``."""
        x = np.asarray(x, dtype=float)
        values = np.empty((len(self.alpha), len(x)))
        values[0] = 1.0
        previous = np.zeros(len(x))
        for k in range(len(self.alpha) - 1):
            below = np.sqrt(self.beta[k]) * previous if k else 0.0
            previous = values[k]
            values[k + 1] = ((x - self.alpha[k]) * values[k] - below) / np.sqrt(self.beta[k + 1])
        return values


def orthonormal(marginal: Any, order: int) -> Univariate:
    """The orthonormal polynomials of degrees ``0 .. order`` of a chaospy distribution,
    callable on points: from its analytical recurrence where it has one, else
    chaospy's (discretised Stieltjes) expansion.

    Parameters
    ----------
    marginal
        A chaospy distribution.
    order
        The highest degree.

    Returns
    -------
    Univariate
        Callable on points ``(n,)``, giving ``(order + 1, n)``.
    """
    import chaospy

    try:
        alpha, beta = (np.ravel(v) for v in marginal.ttr(np.arange(order + 1)))
    except chaospy.UnsupportedFeature:
        expansion: Univariate = chaospy.generate_expansion(order, marginal, normed=True)
        return expansion
    return Recurrence(alpha, beta)


def multi_indices(
    dimension: int, order: int, q: float, limit: int | None = None
) -> np.ndarray | None:
    """Multi-indices of q-norm ``(sum_i a_i^q)^(1/q)`` at most ``order``, graded (by
    total degree), the constant first; None if there are more than ``limit``.

    Built one input at a time, each step keeping only the partial indices whose
    q-norm is still within the bound: every partial index is a kept index padded
    with zeros, so memory stays proportional to the terms kept (a full total-degree
    list of degree 10 in 20 inputs would hold 30 million rows).

    Parameters
    ----------
    dimension
        Number of inputs.
    order
        The bound on the q-norm.
    q
        The q of the norm, in (0, 1].
    limit
        Most terms allowed (none by default).

    Returns
    -------
    numpy.ndarray or None
        ``(T, d)`` integer multi-indices, None if more than ``limit``.
    """
    budget = float(order) ** q * (1.0 + 1e-12)
    powers = np.arange(order + 1, dtype=float) ** q
    rows = np.zeros((1, 0), dtype=np.int16)
    spent = np.zeros(1)
    for _ in range(dimension):
        grown, used = [], []
        for degree in range(order + 1):
            fits = spent + powers[degree] <= budget
            if not fits.any():
                break
            grown.append(np.column_stack([rows[fits], np.full(fits.sum(), degree, dtype=np.int16)]))
            used.append(spent[fits] + powers[degree])
        rows, spent = np.concatenate(grown), np.concatenate(used)
        if limit is not None and len(rows) > limit:
            return None
    total = rows.sum(axis=1)
    keys = (*[rows[:, j] for j in range(dimension)], total)  # lexsort: last key first
    return rows[np.lexsort(keys)].astype(int)


def sobol_from_coefficients(
    indices: np.ndarray, coefficients: np.ndarray, groups: Mapping[str, Sequence[int]]
) -> dict[str, np.ndarray]:
    """Variance-based indices of an orthonormal expansion, for many outputs at once.

    Parameters
    ----------
    indices
        Multi-indices ``(T, d)``; row 0 must be the constant term.
    coefficients
        ``(T, P)``, one column per output point.
    groups
        Group name to the columns (inputs) it holds.

    Returns
    -------
    dict
        ``mean`` and ``variance`` ``(P,)``; ``S1`` and ``ST`` ``(d, P)``; ``S2``
        ``(d, d, P)`` (symmetric, zero diagonal); ``S1_group`` (closed) and
        ``ST_group`` ``(groups, P)``.
    """
    active = indices > 0  # (T, d)
    power = coefficients**2
    power[0] = 0.0
    variance = power.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(variance > 0, power / variance, 0.0)  # (T, P)
    count = active.sum(axis=1)
    only = active & (count == 1)[:, None]
    pairs = count == 2
    s2 = np.einsum("ti,tj,tp->ijp", active[pairs], active[pairs], share[pairs])
    d = indices.shape[1]
    s2[np.arange(d), np.arange(d)] = 0.0
    member = np.zeros((len(groups), d), dtype=bool)
    for g, columns in enumerate(groups.values()):
        member[g, list(columns)] = True
    inside = (active[None, :, :] <= member[:, None, :]).all(axis=2) & (count > 0)[None, :]
    touches = (active[None, :, :] & member[:, None, :]).any(axis=2)
    return {
        "mean": coefficients[0],
        "variance": variance,
        "S1": only.T.astype(float) @ share,
        "ST": active.T.astype(float) @ share,
        "S2": s2,
        "S1_group": inside.astype(float) @ share,
        "ST_group": touches.astype(float) @ share,
    }
