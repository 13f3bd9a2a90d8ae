"""Dependent inputs through a Gaussian copula: the correlation of the inputs' normal
scores, its checks, and the maps between independent and dependent designs.

A design is drawn in the unit cube with independent columns by any rule (Monte Carlo,
Latin hypercube, Sobol', Halton); :meth:`GaussianCopula.correlate` turns its columns
into normal scores ``z = Phi^-1(u)``, correlates them, ``z' = L z`` with ``R = L L^T``,
and maps back, ``u' = Phi(z')``; the marginals' inverse CDFs then give the physical
inputs. Each marginal is kept exactly and the normal scores have correlation ``R``
(the Nataf model of OpenTURNS and UQLab).

Checking a matrix needs no numpy: studies are validated before anything heavy loads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from uqscale.errors import StudyError

if TYPE_CHECKING:
    import numpy as np

SYMMETRY_TOLERANCE = 1e-12


def from_spearman(rho: float) -> float:
    """The normal-score correlation whose Gaussian copula has Spearman's ``rho``
    (Pearson 1907): ``2 sin(pi rho / 6)``.

    >>> round(from_spearman(0.5), 6)
    0.517638
    """
    return 2.0 * math.sin(math.pi * rho / 6.0)


def from_kendall(tau: float) -> float:
    """The normal-score correlation whose Gaussian copula has Kendall's ``tau``:
    ``sin(pi tau / 2)`` (Kruskal 1958).

    >>> round(from_kendall(0.5), 6)
    0.707107
    """
    return math.sin(math.pi * tau / 2.0)


def cholesky(matrix: Sequence[Sequence[float]], path: str) -> list[list[float]]:
    """Lower Cholesky factor of a correlation matrix, or StudyError naming the first
    entry that makes it not positive definite.

    Parameters
    ----------
    matrix
        A square, symmetric matrix with unit diagonal.
    path
        Field path of the matrix in the study, e.g. ``"correlation.matrix"``.

    Returns
    -------
    list of list of float
        ``L`` with ``L L^T = matrix``.
    """
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            partial = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if partial <= 1e-12:
                    raise StudyError(
                        f"{path}[{i}][{i}]",
                        "makes the matrix not positive "
                        "definite: the correlations are inconsistent (a "
                        "variable cannot be that correlated with all of these)",
                    )
                lower[i][i] = math.sqrt(partial)
            else:
                lower[i][j] = partial / lower[j][j]
    return lower


def check_matrix(matrix: Sequence[Sequence[float]], path: str) -> None:
    """Refuse a matrix that is not a correlation matrix, naming the entry.

    Parameters
    ----------
    matrix
        Rows of numbers, already read as floats.
    path
        Field path of the matrix.
    """
    size = len(matrix)
    for i, row in enumerate(matrix):
        if len(row) != size:
            raise StudyError(
                f"{path}[{i}]", f"must have {size} entries, one per input (got {len(row)})"
            )
    for i in range(size):
        if matrix[i][i] != 1.0:
            raise StudyError(f"{path}[{i}][{i}]", f"must be 1 (got {matrix[i][i]:g})")
        for j in range(i):
            if not -1.0 < matrix[i][j] < 1.0:
                raise StudyError(
                    f"{path}[{i}][{j}]",
                    f"must lie strictly between -1 and 1 (got {matrix[i][j]:g})",
                )
            if abs(matrix[i][j] - matrix[j][i]) > SYMMETRY_TOLERANCE:
                raise StudyError(
                    f"{path}[{j}][{i}]",
                    f"must equal {path}[{i}][{j}] "
                    f"(the matrix is symmetric; got {matrix[j][i]:g} and "
                    f"{matrix[i][j]:g})",
                )
    cholesky(matrix, path)


@dataclass(frozen=True)
class GaussianCopula:
    """Normal-score correlation of a study's inputs.

    Parameters
    ----------
    names
        Every input of the study, in design column order.
    correlated
        The inputs the matrix is about, in the matrix's order.
    matrix
        Their normal-score correlation (checked with :func:`check_matrix`).
    """

    names: tuple[str, ...]
    correlated: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]

    @cached_property
    def full(self) -> np.ndarray:
        """The ``(d, d)`` normal-score correlation of all inputs (identity outside
        the correlated block)."""
        import numpy as np

        columns = [self.names.index(n) for n in self.correlated]
        full = np.eye(len(self.names))
        full[np.ix_(columns, columns)] = np.asarray(self.matrix, dtype=float)
        return full

    def correlate(self, unit: np.ndarray) -> np.ndarray:
        """Map independent uniform columns ``(n, d)`` to the copula's dependent ones."""
        import numpy as np
        from scipy.special import ndtri

        return uniform_of(ndtri(unit) @ np.linalg.cholesky(self.full).T)


def uniform_of(scores: np.ndarray) -> np.ndarray:
    """``Phi(scores)``, kept inside the open unit cube (inverse CDFs of unbounded
    marginals cannot take 0 or 1)."""
    import numpy as np
    from scipy.special import ndtr

    tiny = np.finfo(float).eps
    return cast("np.ndarray", np.clip(ndtr(scores), tiny, 1.0 - tiny))
