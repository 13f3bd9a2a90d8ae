"""The Oakley and O'Hagan (2004) 15-input benchmark and its indices in closed form.

``y = a1'x + a2' sin x + a3' cos x + x'Mx`` with ``x ~ N(0, I)``; the coefficients are
the authors' published ones, stored with their source in ``oakley_ohagan_2004.json``
(Oakley and O'Hagan 2004, J. R. Stat. Soc. B 66:751).

Closed form. Under ``N(0, 1)``: ``E cos x = e^-1/2``, ``Var sin x = (1 - e^-2) / 2``,
``Var cos x = (1 + e^-2) / 2 - e^-1``, ``Var x^2 = 2``, ``E[x sin x] = E[cos x] = e^-1/2``
and ``E[x^2 cos x] = E[cos x - x sin x] = 0`` (Stein's identity ``E[x f(x)] = E f'(x)``),
so ``Cov(cos x, x^2) = -e^-1/2``; odd and even functions are uncorrelated. Input ``i``'s
main effect is ``a1_i x + a2_i sin x + a3_i cos x + M_ii x^2`` (the cross terms of the
quadratic form have zero conditional mean), of variance

``a1^2 + a2^2 Var sin + 2 a1 a2 e^-1/2 + a3^2 Var cos + 2 M_ii^2 - 2 a3 M_ii e^-1/2``.

The only interactions are the pairs ``(M_ij + M_ji) x_i x_j`` (``i < j``), of variance
``(M_ij + M_ji)^2``; the total variance is the sum of all of these.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np

DATA = Path(__file__).with_name("oakley_ohagan_2004.json")
INPUTS = 15


@cache
def coefficients() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``a1``, ``a2``, ``a3`` ``(15,)`` and ``M`` ``(15, 15)`` as published."""
    found: dict[str, Any] = json.loads(DATA.read_text())
    return cast(
        "tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]",
        tuple(np.asarray(found[k], dtype=float) for k in ("a1", "a2", "a3", "M")),
    )


def oakley_ohagan(x: np.ndarray) -> np.ndarray:
    """The function at ``x`` ``(n, 15)``: ``(n,)``."""
    a1, a2, a3, m = coefficients()
    return cast(
        "np.ndarray",
        x @ a1 + np.sin(x) @ a2 + np.cos(x) @ a3 + np.einsum("ni,ij,nj->n", x, m, x),
    )


def oakley_ohagan_exact() -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices of :func:`oakley_ohagan`, in closed form (module
    docstring)."""
    a1, a2, a3, m = coefficients()
    half, e2 = np.exp(-0.5), np.exp(-2.0)
    diagonal = np.diag(m)
    main = (
        a1**2
        + a2**2 * (1 - e2) / 2
        + 2 * a1 * a2 * half
        + a3**2 * ((1 + e2) / 2 - half**2)
        + 2 * diagonal**2
        - 2 * a3 * diagonal * half
    )
    pairs = np.triu(m + m.T, k=1) ** 2
    pairs = pairs + pairs.T  # pairs[i, j]: variance of the x_i x_j term, both ways
    total = main.sum() + pairs.sum() / 2
    return main / total, (main + pairs.sum(axis=1)) / total
