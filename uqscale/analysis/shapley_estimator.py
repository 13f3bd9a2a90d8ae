"""Shapley effects (:mod:`uqscale.analysis.shapley`): the share of the output variance
each input is owed, meaningful for dependent inputs (Owen 2014), by the permutation
estimator of Song, Nelson & Staum (2016), vectorised over the points of field outputs.

With the cost ``c(J) = E[Var(Y | X_-J)]`` (the variance left when only the inputs ``J``
vary), ``Sh_i = E_pi[c(P_i(pi) + {i}) - c(P_i(pi))] / Var(Y)`` over orderings ``pi`` of
the inputs, ``P_i(pi)`` the inputs before ``i``. The effects are non-negative for this
cost, sum to one, equal the first-order = total indices of independent additive models,
and share an interaction or a correlation between the inputs it involves.

Design, in rows: ``n_var`` draws of the joint distribution (for ``Var(Y)``); then for
each of ``permutations`` orderings and each of its first ``d - 1`` prefixes ``J``,
``outer`` draws of ``X_-J`` each with ``inner`` draws of ``X_J`` given it. Conditional
draws are exact for a Gaussian copula: in normal-score space
``z_J | z_K ~ N(R_JK R_KK^-1 z_K, R_JJ - R_JK R_KK^-1 R_KJ)``. When ``d!`` orderings fit in
``permutations``, every ordering is used (the exact-permutation variant) and the cost of
each subset is the mean of all its draws, wherever it is a prefix, combined with
Shapley's weights; else orderings are drawn at random and each one's marginal costs are
owed to the input it adds (Song et al.'s estimator).

Confidence half-widths are the normal quantile times the estimator's standard error.
With every ordering used, no ordering is random: the error is that of the Monte Carlo
draws, the sampling variance of each subset's cost (the spread of its independent draws)
propagated through the linear combination that gives ``Sh`` (Broto, Bachoc & Depecker
2020; Plischke, Rabitti & Borgonovo 2021). With random orderings it is the spread of the
per-ordering contributions (a central limit over independent orderings). Either way the
error of ``Var(Y)`` enters by the delta method of the ratio.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache
from itertools import permutations as all_orderings
from typing import Any

import numpy as np
import xarray as xr
from scipy.stats import norm

from uqscale.analysis.common import input_coords, output_values, require_complete
from uqscale.space import InputSpace


def orderings(dimension: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """Orderings of the inputs: all ``d!`` in turn when they fit, else random ones.

    Parameters
    ----------
    dimension
        The number of inputs ``d``.
    count
        How many orderings.
    rng
        The stream random orderings are drawn from (untouched when all fit).

    Returns
    -------
    numpy.ndarray
        ``(count, d)`` integers, each row an ordering of ``0 .. d - 1``.

    Examples
    --------
    >>> orderings(2, 4, np.random.default_rng(0)).tolist()
    [[0, 1], [1, 0], [0, 1], [1, 0]]
    """
    if math.factorial(dimension) <= count:
        every = np.array(list(all_orderings(range(dimension))))
        return every[np.arange(count) % len(every)]
    return np.array([rng.permutation(dimension) for _ in range(count)])


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """The estimator's design in physical units (layout in the module docstring).

    Parameters
    ----------
    space
        The study's inputs, with their Gaussian copula.
    options
        The method's options (``permutations``, ``n_var``, ``outer``, ``inner``).
    rng
        The design's stream; :func:`analyze` redraws its orderings from a fresh copy.

    Returns
    -------
    numpy.ndarray
        ``(n_var + permutations (d - 1) outer inner, d)`` input values.
    """
    d, outer, inner = space.dimension, options["outer"], options["inner"]
    drawn = orderings(d, options["permutations"], rng)  # first: analyze redraws them
    factor = np.linalg.cholesky(space.correlation)
    scores = [rng.standard_normal((options["n_var"], d)) @ factor.T]
    conditional = _conditional_sampler(space.correlation)
    for ordering in drawn:
        for j in range(1, d):
            varied = tuple(sorted(ordering[:j]))
            fixed = rng.standard_normal((outer, d)) @ factor.T
            scores.append(conditional(varied, np.repeat(fixed, inner, axis=0), rng))
    return space.from_scores(np.concatenate(scores))


def _conditional_sampler(
    correlation: np.ndarray,
) -> Callable[[tuple[int, ...], np.ndarray, np.random.Generator], np.ndarray]:
    """Draws of the normal scores ``J`` given the others, for any subset ``J``."""
    d = len(correlation)

    @cache
    def moments(varied: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        j = list(varied)
        k = [i for i in range(d) if i not in varied]
        gain = np.linalg.solve(correlation[np.ix_(k, k)], correlation[np.ix_(k, j)]).T
        cov = correlation[np.ix_(j, j)] - gain @ correlation[np.ix_(k, j)]
        return np.array(k), gain, np.linalg.cholesky((cov + cov.T) / 2)

    def draw(varied: tuple[int, ...], given: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        k, gain, factor = moments(varied)
        drawn = given.copy()
        noise = rng.standard_normal((len(given), len(varied))) @ factor.T
        drawn[:, list(varied)] = given[:, k] @ gain.T + noise
        return drawn

    return draw


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """Shapley effects with their confidence half-widths, by input and by scale group.

    Parameters
    ----------
    space
        The study's inputs, as the design was drawn for.
    options
        The method's options (:class:`uqscale.analysis.shapley.ShapleyOptions`).
    design
        The design's inputs by sample (unused: ``options`` imply its layout).
    results
        The outputs by sample; every sample must have succeeded.
    rng
        A fresh copy of the stream the design was drawn from (to redraw its orderings).

    Returns
    -------
    dict of str to xarray.Dataset
        For each output: ``Sh`` and ``Sh_conf`` (dim ``input``), their sums by scale
        group ``Sh_group`` and ``Sh_group_conf`` (dim ``group``), and ``variance``.
    """
    d, n_var = space.dimension, options["n_var"]
    count, outer, inner = options["permutations"], options["outer"], options["inner"]
    orders = orderings(d, count, rng)  # the design's orderings: the stream's first draws
    exact = math.factorial(d) <= count
    z = float(norm.ppf(0.5 + options["conf_level"] / 2))
    names = list(space.names)
    rows = np.eye(d)  # the inputs, then the scale groups (sums of their members)
    for group in space.groups.values():
        rows = np.vstack([rows, np.isin(names, group).astype(float)])
    coords = input_coords(space) | {"group": list(space.groups)}
    analyses = {}
    for out in output_values(results):
        require_complete(out, "shapley")
        values = out.values.reshape(len(out.values), -1)
        total = values[:n_var]
        # Inner-sample variances of every outer draw: (count, d - 1, outer, points).
        spreads = values[n_var:].reshape(count, d - 1, outer, inner, -1).var(axis=3, ddof=1)
        variance = total.var(axis=0, ddof=1)
        if exact:
            shares = _by_subset(orders, spreads, rows)
        else:
            shares = _by_ordering(orders, spreads, variance, rows)
        effect, error = _ratio(*shares, total)
        shape = (len(rows), *out.values.shape[1:])
        found = {
            "Sh": effect.reshape(shape)[:d],
            "Sh_conf": z * np.sqrt(error).reshape(shape)[:d],
            "Sh_group": effect.reshape(shape)[d:],
            "Sh_group_conf": z * np.sqrt(error).reshape(shape)[d:],
        }
        variables = {
            key: out.labelled(("group",) if "group" in key else ("input",), value, coords)
            for key, value in found.items()
        }
        variables["variance"] = out.labelled((), variance.reshape(shape[1:]))
        analyses[out.name] = xr.Dataset(
            variables, attrs={"n_used": len(values), "n_failed": 0, "permutations": count}
        )
    return analyses


Shares = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(A, var_A, b)`` per row (input or group) and point: the effect is ``A / Var(Y) + b``,
``var_A`` the variance of ``A`` from all but the draws of ``Var(Y)``."""


def _by_subset(orders: np.ndarray, spreads: np.ndarray, rows: np.ndarray) -> Shares:
    """Every ordering used (exact permutations): the cost of each subset ``J`` is the mean
    of all its independent draws, wherever ``J`` is a prefix, and ``Sh_i = sum_J w_J
    (c(J + i) - c(J))`` with Shapley's weights ``w_J = |J|! (d - |J| - 1)! / d!``; ``var_A``
    propagates each subset's sampling variance (the spread of its draws over their
    number) through that linear combination. ``c(all)`` is ``Var(Y)``: its weight,
    ``1 / d`` per input, is ``b``."""
    d = orders.shape[1]
    keys = np.repeat(np.cumsum(1 << orders, axis=1)[:, :-1].ravel(), spreads.shape[2])
    draws = spreads.reshape(len(keys), -1)
    number = np.bincount(keys, minlength=2**d)[:, None]
    cost = np.zeros((2**d, draws.shape[1]))
    np.add.at(cost, keys, draws)
    cost /= np.maximum(number, 1)
    squares = np.zeros_like(cost)
    np.add.at(squares, keys, (draws - cost[keys]) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        noise = np.where(number > 1, squares / (number - 1) / number, np.nan)
    noise[[0, -1]] = 0.0  # c(none) = 0 exactly; c(all) = Var(Y) enters through b
    subsets = np.arange(2**d)
    member = (subsets[None, :] >> np.arange(d)[:, None]) & 1  # (d, 2^d)
    size = member.sum(axis=0)
    gain = np.array([math.factorial(max(s - 1, 0)) * math.factorial(d - s) for s in size])
    loss = np.array([math.factorial(s) * math.factorial(max(d - s - 1, 0)) for s in size])
    weights = np.where(member == 1, gain, -loss) / math.factorial(d)
    weights[:, [0, -1]] = 0.0
    weights = rows @ weights
    return weights @ cost, weights**2 @ noise, rows.sum(axis=1, keepdims=True) / d


def _by_ordering(
    orders: np.ndarray, spreads: np.ndarray, variance: np.ndarray, rows: np.ndarray
) -> Shares:
    """Random orderings (Song et al.'s estimator): each ordering's marginal costs, owed to
    the input added; ``var_A`` is the spread of the per-ordering contributions over their
    number (a central limit over independent orderings)."""
    count, d = orders.shape
    cost = spreads.mean(axis=2)  # (count, d - 1, points)
    edge = np.zeros_like(cost[:, :1])
    gains = np.diff(np.concatenate([edge, cost, edge], axis=1), axis=1)  # by position
    owed = np.zeros_like(gains)
    np.put_along_axis(owed, orders[:, :, None], gains, axis=1)  # by input, without c(all)
    last = (orders[:, -1:] == np.arange(d)).astype(float)  # (count, d)
    owed, last = np.einsum("rd,cdp->crp", rows, owed), last @ rows.T  # by row
    contribution = owed + last[:, :, None] * variance
    return owed.mean(axis=0), contribution.var(axis=0, ddof=1) / count, last.mean(axis=0)[:, None]


def _ratio(
    share: np.ndarray, noise: np.ndarray, offset: np.ndarray, total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Effects ``A / V + b`` and the variance of their error by the delta method, ``V``
    the sample variance of the ``total`` draws (independent of ``A``), whose variance is
    ``Var((y - mean)^2) / n`` (its influence function)."""
    variance = total.var(axis=0, ddof=1)
    spread = ((total - total.mean(axis=0)) ** 2).var(axis=0, ddof=1) / len(total)
    scale = np.where(variance > 0, variance, np.nan)
    return share / scale + offset, noise / scale**2 + share**2 * spread / scale**4
