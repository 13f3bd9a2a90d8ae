"""Sobol' indices by Saltelli sampling and SALib's estimators, with bootstrap
confidence intervals, per input and per scale group.

Group indices need matrices ``AB_G`` (``A`` with the columns of group ``G`` taken
from ``B``). Groups of one input already have theirs (``AB_i``); for each group of
several inputs the design gets ``n`` extra rows built from the same ``A`` and ``B``,
so SALib's grouped estimator sees exactly the design it would have drawn itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from scipy.stats import norm

from uqscale.analysis.common import input_coords, output_values, require_complete
from uqscale.analysis.saltelli_bootstrap import estimates
from uqscale.sampling import seed_int
from uqscale.space import InputSpace

SAMPLING = ("n", "second_order")
IID = True  # every row of a Saltelli design is a draw from the joint distribution


def _problem(space: InputSpace, grouped: bool = False) -> dict[str, Any]:
    problem: dict[str, Any] = {"num_vars": space.dimension, "names": list(space.names),
                               "bounds": [[0.0, 1.0]] * space.dimension}
    if grouped:
        problem["groups"] = [i.scale or "unscaled" for i in space.inputs]
    return problem


def _shared_groups(space: InputSpace) -> list[list[int]]:
    """Column indices of every group holding more than one input (when there are
    several groups: one group alone explains everything)."""
    if len(space.groups) < 2:
        return []
    return [[space.names.index(n) for n in members]
            for members in space.groups.values() if len(members) > 1]


def sample(space: InputSpace, options: Mapping[str, Any],
           rng: np.random.Generator) -> np.ndarray:
    """Saltelli's design, ``n (d + 2)`` rows (``n (2 d + 2)`` with second order), drawn
    in the unit cube by SALib, then ``n`` rows per group of several inputs."""
    from SALib.sample import sobol as saltelli

    unit = saltelli.sample(_problem(space), options["n"],
                           calc_second_order=options["second_order"], seed=seed_int(rng))
    blocks = unit.reshape(options["n"], -1, space.dimension)
    extra = []
    for columns in _shared_groups(space):
        ab = blocks[:, 0].copy()
        ab[:, columns] = blocks[:, -1, columns]
        extra.append(ab)
    unit = np.concatenate([unit, *extra]) if extra else unit
    tiny = np.finfo(float).eps
    return space.to_physical(np.clip(unit, tiny, 1.0 - tiny))


def analyze(space: InputSpace, options: Mapping[str, Any], design: xr.Dataset,
            results: xr.Dataset, rng: np.random.Generator) -> dict[str, xr.Dataset]:
    """SALib's first-order (Saltelli 2010), total (Jansen) and second-order estimators,
    applied to all points of an output at once (field outputs are not looped over).

    Variables: ``S1``, ``ST``, ``S1_conf``, ``ST_conf`` (dim ``input``), optionally
    ``S2`` and ``S2_conf`` (``input``, ``input_b``), by scale group ``S1_group``,
    ``ST_group``, ``S1_group_conf``, ``ST_group_conf`` (dim ``group``), and ``mean``
    and ``variance`` of the rows. Confidence half-widths come from bootstrap over base
    samples, as in SALib. Every sample must have succeeded (the estimators pair rows;
    dropping some would bias them), else AnalysisError.
    """
    n, d = options["n"], space.dimension
    steps = 2 * d + 2 if options["second_order"] else d + 2
    resampled = rng.integers(n, size=(n, options["resamples"]))
    z = float(norm.ppf(0.5 + options["conf_level"] / 2))
    coords = input_coords(space) | {"group": list(space.groups)}
    analyses = {}
    for out in output_values(results):
        require_complete(out, "sobol")
        main = out.values[: n * steps]
        # SALib centres and scales the output before estimating; so do we, per point.
        scale = main.std(axis=0)
        normal = (out.values - main.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
        blocks = normal[: n * steps].reshape(n, steps, -1)
        found = estimates(blocks[:, 0], blocks[:, 1: d + 1], blocks[:, -1],
                           blocks[:, d + 1: 2 * d + 1] if options["second_order"] else None,
                           resampled, z)
        grouped = _grouped_blocks(space, normal, n, steps)
        if grouped is None:   # a single group explains all the variance
            ones = np.ones((1, normal.shape[1]))
            found |= {"S1_group": ones, "ST_group": ones,
                      "S1_group_conf": 0 * ones, "ST_group_conf": 0 * ones}
        else:
            a, ab, b = grouped
            found |= {k.replace("S1", "S1_group").replace("ST", "ST_group"): v
                      for k, v in estimates(a, ab, b, None, resampled, z).items()}
        variables = {key: out.labelled(_dims(key), value, coords) for key, value in found.items()}
        variables["mean"] = out.labelled((), main.mean(axis=0))
        variables["variance"] = out.labelled((), main.var(axis=0, ddof=1))
        analyses[out.name] = xr.Dataset(variables, attrs={"n_used": len(out.values),
                                                          "n_failed": 0, "n": n})
    return analyses


def _dims(key: str) -> tuple[str, ...]:
    if key.startswith("S2"):
        return ("input", "input_b")
    return ("group",) if "group" in key else ("input",)


def _grouped_blocks(space: InputSpace, values: np.ndarray, n: int, steps: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``A``, ``AB_G`` per group (``(n, groups, P)``) and ``B``, or None when there
    is a single group."""
    if len(space.groups) < 2:
        return None
    blocks = values[: n * steps].reshape(n, steps, -1)
    extra = iter(values[n * steps:].reshape(-1, n, values.shape[1]))
    ab = [blocks[:, 1 + space.names.index(members[0])] if len(members) == 1 else next(extra)
          for members in space.groups.values()]
    return blocks[:, 0], np.stack(ab, axis=1), blocks[:, -1]
