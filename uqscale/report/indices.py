"""``indices.json``: the machine-readable summary other tools read.

Shape (a public contract)::

    {"study": NAME,
     "samples": N, "failed": F,
     "outputs": {OUTPUT: {METHOD: {"mean": m, "variance": v,
                                   "S1": {INPUT: x}, "ST": {INPUT: x},
                                   "S1_conf": {...}, "ST_conf": {...},
                                   "S2": {"A|B": x},
                                   "groups": {"S1": {GROUP: x}, "ST": {GROUP: x}},
                                   ...}}},
     "errors": {METHOD: message}}

METHOD is the analysis label (its method name unless labelled). Each key is present
where the method gives it. For a field output every value is a list over the
field's points and ``"coords"`` holds the coordinate values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

PER_INPUT = ("S1", "ST", "S1_conf", "ST_conf", "mu", "mu_star", "sigma", "mu_star_conf")
SCALARS = ("mean", "variance", "std", "loo_error", "cv_error")


def _plain(array: xr.DataArray) -> Any:
    """A JSON value: a float, or nested lists over field points (NaN as null)."""
    values = np.asarray(array.values, dtype=float)
    return np.where(np.isfinite(values), values, None).tolist()


def method_entry(dataset: xr.Dataset) -> dict[str, Any]:
    """One output's results of one method, in the indices.json shape."""
    entry: dict[str, Any] = {}
    for key in SCALARS:
        if key in dataset:
            entry[key] = _plain(dataset[key])
    for key in PER_INPUT:
        if key in dataset:
            entry[key] = {str(i): _plain(dataset[key].sel(input=i))
                          for i in dataset["input"].values}
    for key in ("S2", "S2_conf"):
        if key in dataset:
            names = [str(i) for i in dataset["input"].values]
            entry[key] = {f"{a}|{b}": _plain(dataset[key].sel(input=a, input_b=b))
                          for k, a in enumerate(names) for b in names[k + 1:]}
    if "quantile" in dataset:
        entry["quantiles"] = {f"{q:g}": _plain(dataset["quantile"].sel(q=q))
                              for q in dataset["q"].values}
    if "S1_group" in dataset:
        entry["groups"] = {
            key: {str(g): _plain(dataset[f"{key}_group{suffix}"].sel(group=g))
                  for g in dataset["group"].values}
            for key, suffix in (("S1", ""), ("ST", ""))}
        for key in ("S1", "ST"):
            if f"{key}_group_conf" in dataset:
                entry["groups"][f"{key}_conf"] = {
                    str(g): _plain(dataset[f"{key}_group_conf"].sel(group=g))
                    for g in dataset["group"].values}
    field_dims = [d for d in dataset.dims
                  if d not in ("input", "input_b", "group", "q", "runs")]
    if field_dims:
        entry["coords"] = {d: [v.item() for v in dataset[d].values] if d in dataset.coords
                           else list(range(dataset.sizes[d])) for d in field_dims}
    entry.update({k: v for k, v in dataset.attrs.items() if k in ("n_used", "n_failed",
                                                                  "order", "terms")})
    return entry


def indices_document(study_name: str, samples: int, failed: int,
                     analyses: Mapping[str, Mapping[str, xr.Dataset]],
                     errors: Mapping[str, str]) -> dict[str, Any]:
    """The whole indices.json document."""
    from uqscale.analysis.greyzone import greyzone_entry
    from uqscale.analysis.run_all import GREYZONE

    outputs: dict[str, dict[str, Any]] = {}
    for label, by_output in analyses.items():
        for output, dataset in by_output.items():
            outputs.setdefault(output, {})[label] = (
                greyzone_entry(dataset, _plain) if label == GREYZONE else method_entry(dataset))
    document: dict[str, Any] = {"study": study_name, "samples": samples, "failed": failed,
                                "outputs": outputs}
    if errors:
        document["errors"] = dict(errors)
    return document
