"""Moments and quantiles of every output, from draws of the joint distribution."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from uqscale.analysis.common import AnalysisError, output_values
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace

IID = True
SAMPLING = ("n", "rule")
DEFAULT_N = 1000


def sample(space: InputSpace, options: Mapping[str, Any],
           rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` points (default 1000) by the option's ``rule``."""
    n = options.get("n") or DEFAULT_N
    return space.to_physical(unit_sample(options["rule"], n, space.dimension, rng))


def analyze(space: InputSpace, options: Mapping[str, Any], design: xr.Dataset,
            results: xr.Dataset, rng: np.random.Generator) -> dict[str, xr.Dataset]:
    """Mean, standard deviation, variance and quantiles; failed samples are dropped.

    Variables: ``mean``, ``std``, ``variance``, ``quantile`` (dim ``q``), and
    ``n_used`` and ``n_failed``.
    """
    quantiles = np.asarray(options["quantiles"])
    analyses = {}
    for out in output_values(results):
        ok = out.finite_rows()
        if ok.sum() < 2:
            raise AnalysisError(f"moments: output '{out.name}' has fewer than 2 finite samples")
        parts = [_statistics(block[ok], quantiles) for block in out.chunks()]
        mean, std, q = (np.concatenate(p, axis=-1) for p in zip(*parts, strict=True))
        analyses[out.name] = xr.Dataset({
            "mean": out.labelled((), mean),
            "std": out.labelled((), std),
            "variance": out.labelled((), std**2),
            "quantile": out.labelled(("q",), q, {"q": quantiles}),
        }, attrs={"n_used": int(ok.sum()), "n_failed": int((~ok).sum())})
    return analyses


def _statistics(values: np.ndarray, quantiles: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard deviation and quantiles of the columns of ``values``."""
    return (values.mean(axis=0), values.std(axis=0, ddof=1),
            np.quantile(values, quantiles, axis=0))
