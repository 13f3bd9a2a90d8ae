"""One output's results of one analysis as plain JSON, the entries of ``indices.json``
(see :mod:`uqscale.report.indices` for the whole document)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import xarray as xr

from uqscale.analysis.dims import GROUP, INPUT, INPUT_B, QUANTILE, RESOLUTION, field_dims

PER_INPUT = ("S1", "ST", "S1_conf", "ST_conf", "mu", "mu_star", "sigma", "mu_star_conf")
"""Variables over ``input``, written ``{INPUT: value}``."""
SCALARS = ("mean", "variance", "std", "loo_error", "cv_error")
"""Variables over the field only."""
ATTRS = ("n_used", "n_failed", "order", "terms")
"""Dataset attributes copied into the entry."""


def plain(array: xr.DataArray) -> Any:
    """A JSON value: a float, or nested lists over field points (NaN as null)."""
    values = np.asarray(array.values, dtype=float)
    return np.where(np.isfinite(values), values, cast(Any, None)).tolist()


def method_entry(dataset: xr.Dataset) -> dict[str, Any]:
    """One output's results of a method, in the indices.json shape: every variable of
    :data:`PER_INPUT` and :data:`SCALARS` present, second-order pairs ``"A|B"``,
    quantiles, scale groups, and for a field (or a resolution sweep) ``"coords"``."""
    entry: dict[str, Any] = {}
    for key in SCALARS:
        if key in dataset:
            entry[key] = plain(dataset[key])
    for key in PER_INPUT:
        if key in dataset:
            entry[key] = {
                str(i): plain(dataset[key].sel({INPUT: i})) for i in dataset[INPUT].values
            }
    for key in ("S2", "S2_conf"):
        if key in dataset:
            names = [str(i) for i in dataset[INPUT].values]
            entry[key] = {
                f"{a}|{b}": plain(dataset[key].sel({INPUT: a, INPUT_B: b}))
                for k, a in enumerate(names)
                for b in names[k + 1 :]
            }
    if "quantile" in dataset:
        entry["quantiles"] = {
            f"{q:g}": plain(dataset["quantile"].sel({QUANTILE: q}))
            for q in dataset[QUANTILE].values
        }
    if "S1_group" in dataset:
        entry["groups"] = _groups(dataset)
    # A sweep's values are lists over its spacings: "coords" says so, as for a field.
    labelled = [str(d) for d in dataset.dims if d == RESOLUTION or d in field_dims(dataset)]
    if labelled:
        entry["coords"] = {
            d: [v.item() for v in dataset[d].values]
            if d in dataset.coords
            else list(range(dataset.sizes[d]))
            for d in labelled
        }
    entry.update({k: v for k, v in dataset.attrs.items() if k in ATTRS})
    return entry


def _groups(dataset: xr.Dataset) -> dict[str, Any]:
    """Group indices and their half-widths, ``{"S1": {GROUP: x}, "ST": ..., ...}``."""
    groups = dataset[GROUP].values
    found = {
        key: {str(g): plain(dataset[f"{key}_group"].sel({GROUP: g})) for g in groups}
        for key in ("S1", "ST")
    }
    for key in ("S1", "ST"):
        if f"{key}_group_conf" in dataset:
            found[f"{key}_conf"] = {
                str(g): plain(dataset[f"{key}_group_conf"].sel({GROUP: g})) for g in groups
            }
    return found
