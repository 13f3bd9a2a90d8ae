"""The report's section on Shapley effects (``method: shapley``): each input's share of
an output's variance, meaningful when inputs are dependent (a ``correlation:`` block),
as bars with their confidence intervals, a table, and curves along a field."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from uqscale.report import fieldplots, plots
from uqscale.report.blocks import Figure, Heading, Section, Table, number
from uqscale.report.data import RunData, field_dims
from uqscale.report.look import Found, Look, top_note, view
from uqscale.report.results import conf_level


def sharing(correlated: Sequence[str]) -> str:
    """A sentence on how the ``correlated`` inputs (a study's ``correlation:`` block;
    none: independent inputs) share variance in their Shapley effects.

    Examples
    --------
    >>> sharing(["cl", "v"])[:48]
    'The correlated inputs (cl, v) share the variance'
    """
    if not correlated:
        return (
            "Every input is independent here: an input's Shapley effect lies between its "
            "first-order and its total Sobol index, interactions split equally between "
            "the inputs they involve."
        )
    return (
        f"The correlated inputs ({', '.join(correlated)}) share the variance their "
        f"dependence creates: what either of them could explain is split between them, so "
        f"a correlated input's effect is not what fixing it alone would remove."
    )


def shapley_section(data: RunData, look: Look, found: Found) -> Section | None:
    """Shapley effects of every output of the Shapley analyses ``found``: bars with
    their confidence intervals for scalar outputs, curves along a field's coordinate.

    Parameters
    ----------
    data
        The run whose report holds the section.
    look
        Colours of its scale groups and inputs.
    found
        ``(label, output, dataset)`` of every Shapley analysis of the run.

    Returns
    -------
    Section or None
        The section; None without a Shapley analysis.
    """
    if not found:
        return None
    blocks: list[Any] = list(top_note(data))
    for label, output, ds in found:
        ds, note = view(ds)
        blocks.append(Heading(output))
        dims = field_dims(ds)
        if dims:
            blocks.append(_field(label, output, ds, dims[0], look))
            continue
        whiskers = (
            f" Whiskers: {conf_level(data, [label])} confidence intervals (Monte Carlo error "
            f"of the estimator)."
            if "Sh_conf" in ds
            else ""
        )
        blocks.append(
            Figure(
                partial(plots.index_bars_image, [(label, ds)], look.inputs, plots.SHAPLEY),
                f"Shapley effects of {output}",
                f"Shapley effects of {output} ({label}): each input's share of the variance "
                f"of {output}, the shares summing to 1. {sharing(_correlated(data))} Inputs "
                f"are ranked by their effect; colours are scale groups.{whiskers} {note}".rstrip(),
            )
        )
        blocks.append(_table(label, output, ds, look))
    return Section(
        "shapley",
        "Shapley effects",
        "Which inputs the outputs' uncertainty comes from when inputs may be dependent: "
        "Shapley effects share the variance out among the inputs, correlated ones "
        "splitting what they explain together.",
        blocks,
    )


def _correlated(data: RunData) -> tuple[str, ...]:
    """The run's correlated inputs (none without a ``correlation:`` block)."""
    return data.study.correlation.inputs if data.study.correlation is not None else ()


def _field(label: str, output: str, ds: Any, dim: str, look: Look) -> Figure:
    """``Sh`` along a field's first dim for the inputs with the largest effect anywhere."""
    names = [str(n) for n in ds["input"].values]
    peak = ds["Sh"].max([d for d in ds["Sh"].dims if d != "input"]).values
    shown = np.argsort(-np.nan_to_num(peak, nan=-1.0))[: fieldplots.LINES]
    curves = [(names[k], ds["Sh"].isel(input=k)) for k in shown]
    return Figure(
        partial(fieldplots.field_curves, curves, dim, "Shapley effect", look.inputs),
        f"Shapley effects of {output} along {dim}",
        f"Shapley effects of {output} along {dim} ({label}) for the {len(curves)} inputs "
        f"with the largest effect anywhere: at each {dim}, each input's share of the "
        f"variance there.",
    )


def _table(label: str, output: str, ds: Any, look: Look) -> Table:
    """The effects and their half-widths, largest first, with each input's scale."""
    names = [str(n) for n in ds["input"].values]
    order = np.argsort(-np.nan_to_num(np.asarray(ds["Sh"].values, dtype=float), nan=-1.0))
    return Table(
        ["input", "scale", "Sh", "Sh ±"],
        [
            [
                names[k],
                look.scale_of.get(names[k], "–"),
                *(number(float(ds[key][k])) if key in ds else "–" for key in ("Sh", "Sh_conf")),
            ]
            for k in order
        ],
        numeric=(2, 3),
        collapsed=f"Numbers: Shapley effects of {output} ({label})",
    )
