"""The report's section on moments and quantiles (``method: moments``)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from uqscale.report import fieldplots, plots
from uqscale.report.blocks import Figure, Section, Table, number
from uqscale.report.data import RunData, field_dims
from uqscale.report.look import Found, Look, averaged, sweep_note, view

QUANTILE_STRIPS = 24
"""At most this many scalar outputs get the quantile figure (the table has them all)."""


def moments_section(data: RunData, look: Look, found: Found) -> Section | None:
    """Mean, spread and quantiles of every output (``found``: the moments analyses).

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.
    found
        ``(label, output, dataset)`` of the method's analyses.

    Returns
    -------
    Section or None
        None when there is nothing to show.
    """
    if not found:
        return None
    blocks: list[Any] = []
    scalar = [(o, ds) for _, o, ds in found if not field_dims(view(ds)[0])]
    if scalar:
        qs = [f"q{q:g}" for q in scalar[0][1]["q"].values] if "q" in scalar[0][1] else []
        rows = []
        for output, ds in scalar:
            ds = view(ds)[0]
            quantiles = [number(v) for v in ds["quantile"].values] if "quantile" in ds else []
            rows.append(
                [
                    output,
                    number(float(ds["mean"])),
                    number(float(ds["std"])),
                    *quantiles,
                    number(ds.attrs.get("n_used")),
                ]
            )
        blocks.append(
            Table(
                ["output", "mean", "std", *qs, "samples"],
                rows,
                "Mean, standard deviation and quantiles (q0.05: 5 % of the "
                "samples lie below) over the uncertain inputs; failed samples are "
                "left out.",
                numeric=tuple(range(1, 4 + len(qs))),
            )
        )
        strips = [(o, view(ds)[0]) for o, ds in scalar if "quantile" in ds]
        if strips and len(strips) <= QUANTILE_STRIPS:
            blocks.append(
                Figure(
                    lambda: plots.quantile_strips(strips),
                    "quantiles of every output",
                    "The spread of each output: whiskers from the lowest to the "
                    "highest quantile, box between the inner quartiles, median as "
                    "a bar, mean as an orange diamond. Each output has its own "
                    "axis.",
                )
            )
    fields = [(o, view(ds)[0]) for _, o, ds in found if field_dims(view(ds)[0])]
    if fields:
        blocks.append(_field_moments_table(fields))
    for _, output, ds in found:
        ds, note = view(ds)
        dims = field_dims(ds)
        if dims:
            blocks.append(
                Figure(
                    partial(fieldplots.field_moments, ds, dims[0], output),
                    f"{output} along {dims[0]}",
                    f"{output} along {dims[0]}{averaged(ds, dims[0])}: the mean "
                    f"(orange) inside the bands between quantiles across the "
                    f"uncertain inputs (light: outer, dark: inner). {note}",
                )
            )
    return Section(
        "moments",
        "Moments and quantiles",
        "How much each output varies when the inputs vary as described." + sweep_note(data),
        blocks,
    )


def _field_moments_table(fields: list[tuple[str, xr.Dataset]]) -> Table:
    """The range of the mean and the largest spread of every field output."""
    rows = []
    for output, ds in fields:
        dim = field_dims(ds)[0]
        mean = np.asarray(ds["mean"].values, dtype=float)
        rows.append(
            [
                output,
                f"{number(ds.sizes[dim])} along {dim}",
                f"{number(np.nanmin(mean))} … {number(np.nanmax(mean))}",
                number(np.nanmax(ds["std"].values)),
            ]
        )
    return Table(
        ["output", "points", "mean (lowest … highest)", "largest std"],
        rows,
        collapsed="Numbers: moments of the field outputs",
    )
