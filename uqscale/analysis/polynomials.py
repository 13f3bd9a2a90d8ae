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

import numpy as np


@dataclass(frozen=True)
class Basis:
    """A truncated orthonormal basis: the multi-index of every term, shape ``(T, d)``
    (row 0 is the constant), and the univariate polynomials of every input."""

    indices: np.ndarray
    univariate: tuple

    @classmethod
    def total_degree(cls, marginals: Sequence, order: int, q: float = 1.0) -> Basis:
        """Terms whose q-norm of the multi-index is at most ``order`` (``q = 1``:
        total degree; ``q < 1``: hyperbolic truncation, fewer interactions)."""
        import chaospy

        univariate = tuple(chaospy.generate_expansion(order, m, normed=True)
                           for m in marginals)
        return cls(multi_indices(len(marginals), order, q), univariate)

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def order(self) -> int:
        """The highest degree of any univariate factor the basis can hold."""
        return len(self.univariate[0]) - 1 if self.univariate else 0

    def truncate(self, order: int, q: float = 1.0) -> Basis:
        """The terms of q-norm at most ``order`` (``order`` at most :attr:`order`),
        sharing this basis' univariate polynomials (built once: they are costly)."""
        if order > self.order:
            raise ValueError(f"order {order} exceeds the basis' {self.order}")
        return Basis(multi_indices(self.indices.shape[1], order, q), self.univariate)

    def rows(self, terms: np.ndarray) -> np.ndarray:
        """Row numbers of the multi-indices ``terms`` ``(k, d)`` in this basis (all
        must be in it)."""
        where = {tuple(row): i for i, row in enumerate(self.indices.tolist())}
        return np.array([where[tuple(row)] for row in terms.tolist()], dtype=int)

    def matrix(self, x: np.ndarray) -> np.ndarray:
        """Evaluate every term at the points ``x`` (shape ``(n, d)``): ``(n, T)``."""
        result = np.ones((len(x), len(self.indices)))
        for j, polys in enumerate(self.univariate):
            values = np.atleast_2d(polys(x[:, j])).T          # (n, order + 1)
            result *= values[:, self.indices[:, j]]
        return result


def multi_indices(dimension: int, order: int, q: float) -> np.ndarray:
    """Multi-indices of q-norm at most ``order``, graded, the constant first."""
    import chaospy

    return np.asarray(chaospy.glexindex(0, order + 1, dimensions=dimension,
                                        cross_truncation=q, graded=True))


def sobol_from_coefficients(indices: np.ndarray, coefficients: np.ndarray,
                            groups: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
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
    active = indices > 0                                  # (T, d)
    power = coefficients**2
    power[0] = 0.0
    variance = power.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(variance > 0, power / variance, 0.0)   # (T, P)
    count = active.sum(axis=1)
    only = active & (count == 1)[:, None]
    pairs = (count == 2)
    s2 = np.einsum("ti,tj,tp->ijp", active & pairs[:, None], active & pairs[:, None], share)
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
