"""Indices against the number of runs: the same fit repeated on growing prefixes of
the design (prefixes of a Sobol' sequence are themselves well spread), for a plot
that shows whether the estimates have settled."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

KEYS = ("mean", "variance", "S1", "ST", "S1_group", "ST_group", "cv_error", "order", "terms")
"""What is followed against the number of runs."""


def prefix_sizes(n: int, minimum: int) -> list[int]:
    """Powers of two from ``minimum`` (rounded up) below ``n``, then ``n`` itself.

    Parameters
    ----------
    n
        Samples of the whole run.
    minimum
        The smallest prefix worth fitting.

    Returns
    -------
    list of int
        Increasing prefix sizes, the last ``n``.

    Examples
    --------
    >>> prefix_sizes(100, 10)
    [16, 32, 64, 100]
    >>> prefix_sizes(64, 10)
    [16, 32, 64]
    >>> prefix_sizes(8, 10)
    [8]
    """
    first = max(int(np.ceil(np.log2(max(minimum, 1)))), 0)
    sizes = [2**k for k in range(first, int(np.ceil(np.log2(max(n, 1))))) if 2**k < n]
    return [*sizes, n]


def follow(
    sizes: list[int],
    evaluate: Callable[[int], Mapping[str, np.ndarray] | None],
    final: Mapping[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Stack :data:`KEYS` of ``evaluate(size)`` for every size but the last, then of
    ``final`` (the fit on every run), along a leading axis; NaN where ``evaluate``
    returns None (too few runs to fit).

    Parameters
    ----------
    sizes
        Prefix sizes, as :func:`prefix_sizes` gives them.
    evaluate
        ``evaluate(size)``: the fit on the first ``size`` runs, or None.
    final
        The fit on every run.

    Returns
    -------
    dict
        ``{key: array (len(sizes), ...)}`` for each of :data:`KEYS`.
    """
    found = [evaluate(size) for size in sizes[:-1]] + [final]
    return {
        key: np.stack(
            [
                np.full(np.shape(final[key]), np.nan)
                if one is None
                else np.asarray(one[key], dtype=float)
                for one in found
            ]
        )
        for key in KEYS
    }
