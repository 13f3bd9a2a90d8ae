"""Polynomial chaos expansions (chaospy bases): regression or quadrature, and the
Sobol indices that follow from the coefficients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from uqscale.analysis.common import (
    AnalysisError,
    OutputValues,
    input_coords,
    output_values,
    require_complete,
)
from uqscale.analysis.polynomials import Basis, sobol_from_coefficients
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace

IID = True
OVERSAMPLING = 2


def regression_size(space: InputSpace, options: Mapping[str, Any]) -> int:
    """Number of regression samples: as given, or twice the number of terms."""
    if options.get("n"):
        return options["n"]
    return OVERSAMPLING * len(Basis.total_degree(space.marginals, options["order"]))


def quadrature(space: InputSpace, options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``(n, d)`` and weights ``(n,)`` of the option's quadrature rule."""
    import chaospy

    nodes, weights = chaospy.generate_quadrature(
        options["order"], space.joint, rule=options["quadrature"], sparse=options["sparse"])
    return np.asarray(nodes).T, np.asarray(weights)


def sample(space: InputSpace, options: Mapping[str, Any],
           rng: np.random.Generator) -> np.ndarray:
    """Quadrature nodes, or ``n`` points by ``rule`` for regression."""
    if options["design"] == "quadrature":
        return quadrature(space, options)[0]
    n = regression_size(space, options)
    return space.to_physical(unit_sample(options["rule"], n, space.dimension, rng))


def analyze(space: InputSpace, options: Mapping[str, Any], design: xr.Dataset,
            results: xr.Dataset, rng: np.random.Generator) -> dict[str, xr.Dataset]:
    """Fit the expansion to every output point and derive indices.

    Variables: ``mean``, ``variance``, ``S1``, ``ST`` (dim ``input``), ``S2``
    (``input``, ``input_b``), ``S1_group``, ``ST_group`` (dim ``group``) and, for
    regression, ``loo_error`` (leave-one-out error relative to the variance).
    """
    basis = Basis.total_degree(space.marginals, options["order"])
    x = np.column_stack([design[name].values for name in space.names])
    groups = {g: [space.names.index(n) for n in members]
              for g, members in space.groups.items()}
    analyses = {}
    for out in output_values(results):
        if options["design"] == "quadrature":
            require_complete(out, "pce (quadrature)")
            coefficients = _project(basis, space, options, x, out.values)
            extra: dict[str, xr.DataArray] = {}
            attrs = {"n_used": len(x), "n_failed": 0}
        else:
            ok = out.finite_rows()
            if ok.sum() < len(basis):
                raise AnalysisError(
                    f"pce: output '{out.name}' has {int(ok.sum())} finite samples for "
                    f"{len(basis)} terms; lower the order or raise n")
            coefficients, loo = _regress(basis.matrix(x[ok]), out.values[ok])
            extra = {"loo_error": out.labelled((), loo)}
            attrs = {"n_used": int(ok.sum()), "n_failed": int((~ok).sum())}
        indices = sobol_from_coefficients(basis.indices, coefficients, groups)
        analyses[out.name] = _dataset(out, indices, space, options, extra, attrs | {
            "order": options["order"], "terms": len(basis)})
    return analyses


def _project(basis: Basis, space: InputSpace, options: Mapping[str, Any], x: np.ndarray,
             y: np.ndarray) -> np.ndarray:
    nodes, weights = quadrature(space, options)
    if nodes.shape != x.shape or not np.allclose(nodes, x):
        raise AnalysisError("pce: the design does not hold this quadrature's nodes")
    return basis.matrix(x).T @ (weights[:, None] * y)


def _regress(matrix: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares for many right-hand sides, with the closed-form leave-one-out
    error ``mean((r_i / (1 - h_i))^2) / var(y)``."""
    q, r = np.linalg.qr(matrix)
    coefficients = np.linalg.solve(r, q.T @ y)
    leverage = np.minimum((q**2).sum(axis=1), 1.0 - 1e-12)
    residual = (y - matrix @ coefficients) / (1.0 - leverage)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        loo = (residual**2).mean(axis=0) / y.var(axis=0)
    return coefficients, loo


def _dataset(out: OutputValues, indices: dict[str, np.ndarray], space: InputSpace,
             options: Mapping[str, Any], extra: dict[str, xr.DataArray],
             attrs: dict[str, Any]) -> xr.Dataset:
    coords = input_coords(space)
    groups = {"group": list(space.groups)}
    variables = {
        "mean": out.labelled((), indices["mean"]),
        "variance": out.labelled((), indices["variance"]),
        "S1": out.labelled(("input",), indices["S1"], coords),
        "ST": out.labelled(("input",), indices["ST"], coords),
        "S1_group": out.labelled(("group",), indices["S1_group"], groups),
        "ST_group": out.labelled(("group",), indices["ST_group"], groups),
        **extra,
    }
    if options["second_order"]:
        variables["S2"] = out.labelled(("input", "input_b"), indices["S2"], coords)
    return xr.Dataset(variables, attrs=attrs)
