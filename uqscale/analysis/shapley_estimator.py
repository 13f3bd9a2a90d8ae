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
``permutations``, every ordering is used equally often (the exact-permutation variant),
else orderings are drawn at random. Confidence half-widths come from the spread of the
per-ordering contributions (a central limit over independent orderings).
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
    """``count`` orderings of the inputs, ``(count, d)``: all ``d!`` in turn when
    they fit, else random ones.

    >>> orderings(2, 4, np.random.default_rng(0)).tolist()
    [[0, 1], [1, 0], [0, 1], [1, 0]]
    """
    if math.factorial(dimension) <= count:
        every = np.array(list(all_orderings(range(dimension))))
        return every[np.arange(count) % len(every)]
    return np.array([rng.permutation(dimension) for _ in range(count)])


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """The estimator's design in physical units (layout in the module docstring)."""
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
    """Shapley effects ``Sh`` with confidence half-widths ``Sh_conf`` (dim ``input``),
    their sums by scale group ``Sh_group`` and ``Sh_group_conf`` (dim ``group``), and
    the output's ``variance``. Every sample must have succeeded. ``rng`` must be a
    fresh copy of the stream the design was drawn from."""
    d, n_var = space.dimension, options["n_var"]
    count, outer, inner = options["permutations"], options["outer"], options["inner"]
    orders = orderings(d, count, rng)  # the design's orderings: the stream's first draws
    z = float(norm.ppf(0.5 + options["conf_level"] / 2))
    names = list(space.names)
    members = [[names.index(m) for m in group] for group in space.groups.values()]
    coords = input_coords(space) | {"group": list(space.groups)}
    analyses = {}
    for out in output_values(results):
        require_complete(out, "shapley")
        values = out.values
        variance = values[:n_var].var(axis=0, ddof=1)
        blocks = values[n_var:].reshape(count, d - 1, outer, inner, -1)
        cost = blocks.var(axis=3, ddof=1).mean(axis=2)  # (count, d - 1, P)
        cost = np.concatenate(
            [np.zeros_like(cost[:, :1]), cost, np.broadcast_to(variance, cost[:, :1].shape)], axis=1
        )
        gains = np.diff(cost, axis=1)  # (count, d, P), by position
        owed = np.zeros_like(gains)
        np.put_along_axis(owed, orders[:, :, None], gains, axis=1)  # by input
        scale = np.where(variance > 0, variance, np.nan)
        effect = owed.mean(axis=0) / scale
        spread = z * owed.std(axis=0, ddof=1) / np.sqrt(count) / scale
        grouped = np.stack([owed[:, m].sum(axis=1) for m in members], axis=1)
        found = {
            "Sh": effect,
            "Sh_conf": spread,
            "Sh_group": grouped.mean(axis=0) / scale,
            "Sh_group_conf": z * grouped.std(axis=0, ddof=1) / np.sqrt(count) / scale,
        }
        variables = {
            key: out.labelled(("group",) if "group" in key else ("input",), value, coords)
            for key, value in found.items()
        }
        variables["variance"] = out.labelled((), variance)
        analyses[out.name] = xr.Dataset(
            variables, attrs={"n_used": len(values), "n_failed": 0, "permutations": count}
        )
    return analyses
