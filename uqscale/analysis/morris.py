"""Morris elementary effects (SALib): screening many inputs with few runs.

Trajectories move on SALib's grid of ``levels`` points in ``[0, 1]``; each grid
value ``u`` is mapped to the quantile ``(u (levels - 1) + 0.5) / levels`` of the
input, the midpoints of ``levels`` equal-probability bins, so that inputs with
unbounded distributions get finite values. Effects are per unit of that grid:
``mu_star`` compares inputs on the probability scale of their distributions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from uqscale.analysis.common import input_coords, output_values, require_complete
from uqscale.sampling import seed_int
from uqscale.space import InputSpace

IID = False


def _problem(space: InputSpace) -> dict[str, Any]:
    return {"num_vars": space.dimension, "names": list(space.names),
            "bounds": [[0.0, 1.0]] * space.dimension}


def grid(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """SALib's trajectories on the unit grid, ``trajectories (d + 1)`` rows."""
    from SALib.sample import morris

    return morris.sample(_problem(space), options["trajectories"],
                         num_levels=options["levels"], seed=seed_int(rng))


def sample(space: InputSpace, options: Mapping[str, Any],
           rng: np.random.Generator) -> np.ndarray:
    """The trajectories mapped to the inputs' distributions (bin midpoints)."""
    levels = options["levels"]
    unit = grid(space, options, rng)
    return space.to_physical((unit * (levels - 1) + 0.5) / levels)


def analyze(space: InputSpace, options: Mapping[str, Any], design: xr.Dataset,
            results: xr.Dataset, rng: np.random.Generator) -> dict[str, xr.Dataset]:
    """``mu``, ``mu_star``, ``sigma`` and ``mu_star_conf`` per input and output point.

    ``rng`` must be the design block's own stream: the trajectories are drawn again
    from it, as the analysis needs them on SALib's grid.
    """
    from SALib.analyze import morris

    unit = grid(space, options, rng)
    settings = {"num_resamples": options["resamples"], "conf_level": options["conf_level"],
                "num_levels": options["levels"], "seed": seed_int(rng)}
    analyses = {}
    for out in output_values(results):
        require_complete(out, "morris")
        found: dict[str, list[np.ndarray]] = {}
        for column in out.values.T:
            effects = morris.analyze(_problem(space), unit, column, **settings)
            for key in ("mu", "mu_star", "sigma", "mu_star_conf"):
                found.setdefault(key, []).append(np.asarray(effects[key], dtype=float))
        analyses[out.name] = xr.Dataset(
            {key: out.labelled(("input",), np.stack(v, axis=-1), input_coords(space))
             for key, v in found.items()},
            attrs={"n_used": len(out.values), "n_failed": 0})
    return analyses
