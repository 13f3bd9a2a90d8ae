"""Designs in the unit cube, and the random streams they draw from.

Every random number flows from the study's seed: each design block gets its own
stream, keyed by the block's description, so adding an analysis never changes the
samples of another.
"""

from __future__ import annotations

import zlib
from typing import cast

import numpy as np


def block_rng(seed: int, key: str) -> np.random.Generator:
    """Return the random stream of the design block described by ``key``.

    Parameters
    ----------
    seed
        The study's seed.
    key
        What identifies the block (:func:`uqscale.design.block_key`).

    Returns
    -------
    numpy.random.Generator
        A fresh generator, the same for the same seed and key.

    Examples
    --------
    >>> a, b = block_rng(1, "sobol"), block_rng(1, "sobol")
    >>> bool(a.random() == b.random())
    True
    """
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(key.encode())]))


def seed_int(rng: np.random.Generator) -> int:
    """Draw an integer seed for libraries that take one (SALib)."""
    return int(rng.integers(2**31 - 1))


def _random(n: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    return rng.random((n, dimension))


def _sobol(n: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc  # scipy is imported where a rule draws, not with the module

    # A prefix of a 2^m scrambled Sobol' sequence: nested, so designs can grow.
    m = max(int(np.ceil(np.log2(n))), 0)
    return cast("np.ndarray", qmc.Sobol(d=dimension, rng=rng).random_base2(m)[:n])


def _lhs(n: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    return cast("np.ndarray", qmc.LatinHypercube(d=dimension, rng=rng).random(n))


def _halton(n: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    return cast("np.ndarray", qmc.Halton(d=dimension, rng=rng).random(n))


DRAWS = {"random": _random, "lhs": _lhs, "sobol": _sobol, "halton": _halton}
"""How each rule of :data:`uqscale.analysis.method.RULES` draws ``(n, dimension)``."""


def unit_sample(rule: str, n: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` points of the open unit cube ``(0, 1)^dimension``.

    Parameters
    ----------
    rule
        One of :data:`uqscale.analysis.method.RULES`: ``random`` (Monte Carlo),
        ``lhs`` (Latin hypercube), ``sobol`` (scrambled Sobol' sequence) or
        ``halton`` (scrambled Halton sequence).
    n, dimension
        Shape of the result, ``(n, dimension)``.
    rng
        The stream to draw from.

    Returns
    -------
    numpy.ndarray
        The points, ``(n, dimension)``.
    """
    points = DRAWS[rule](n, dimension, rng)
    # Scrambled sequences can touch 0 exactly; inverse CDFs of unbounded inputs cannot.
    tiny = np.finfo(float).eps
    return cast("np.ndarray", np.clip(points, tiny, 1.0 - tiny))
