"""Figures along a coordinate: indices and moments of field outputs over time or
space, and grey-zone curves over the grid spacing.

A field with several dims is drawn along its first one, averaged over the others
(the caption says so). Every function returns a ``data:`` URI.

Grey-zone datasets (``uqscale.analysis.greyzone``, one per output) are read in this
shape; each variable but the first two is optional:

* dim ``resolution``, its coordinate the spacings ``dx`` (increasing), and optionally
  the coordinate ``dx_over_scale`` (``dx`` divided by the process scale);
* ``mean``, ``std`` over ``resolution`` (and field dims): the output at each spacing;
* ``S1``, ``ST`` over ``input`` and ``resolution``: indices at each spacing;
* ``sensitivity`` over ``resolution``: ``|d mean / d ln dx| / std``;
* ``S1_with_resolution``, ``ST_with_resolution`` over ``factor`` (the inputs and
  ``"resolution"``): indices with the spacing treated as one more factor;
* attrs ``threshold`` (sensitivity above it is grey zone, default 1), ``grey_zone``
  (``[dx_low, dx_high]``, or empty), ``process_scale`` (NaN when unknown), ``parameter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from uqscale.report.data import coordinate, field_dims
from uqscale.report.figures import (
    GREY_ZONE,
    INK,
    MUTED,
    OTHERS,
    Margins,
    figure,
    legend_below,
    legend_margins,
    line_colours,
    log_axis,
    short,
    tint,
    to_uri,
    top_inputs,
)

LINES = 6
"""Inputs drawn one by one in line plots; the rest are pooled in one grey line."""


def along(array: xr.DataArray, dim: str) -> xr.DataArray:
    """``array`` with every field dim but ``dim`` averaged out.

    Parameters
    ----------
    array
        A field output's variable (an index or a moment).
    dim
        The dim the figure is drawn along.

    Returns
    -------
    xarray.DataArray
        The mean over the other field dims (``array`` itself when there are none).
    """
    others = [d for d in field_dims(array) if d != dim]
    return array.mean(others) if others else array


def _marker(x: np.ndarray) -> dict[str, Any]:
    return {"marker": "o", "markersize": 2.5} if len(x) <= 30 else {}


def field_indices(
    panels: Sequence[tuple[str, xr.Dataset]], dim: str, colours: Mapping[str, str], top: int = LINES
) -> str:
    """``ST`` (solid, with its confidence band) and ``S1`` (dashed) along ``dim`` for the
    ``top`` inputs with the largest ``ST`` anywhere; the others' ``ST`` summed in grey.

    Parameters
    ----------
    panels
        ``(title, indices)`` of each panel, side by side (e.g. one per method); the first
        panel's ``ST`` chooses the inputs drawn.
    dim
        The field dim along the horizontal axis.
    colours
        ``{input: colour}`` kept across the report's figures.
    top
        How many inputs are drawn one by one.

    Returns
    -------
    str
        The figure as a ``data:`` URI.
    """
    data0 = panels[0][1]
    names = [str(n) for n in data0["input"].values]
    peak = along(data0["ST"], dim).max(dim).values
    shown, rest = top_inputs(np.asarray(peak, dtype=float), names, top)
    lines = len(shown) + (1 if rest else 0)
    colours = line_colours([names[k] for k in shown], dict(colours))
    with figure(height=3.2, margins=legend_margins(lines), ncols=len(panels), sharey=True) as (
        fig,
        axes,
    ):
        for ax, (title, data) in zip(axes[0], panels, strict=True):
            x = coordinate(data, dim)
            for k in shown:
                colour = colours.get(names[k], INK)
                st = along(data["ST"].isel(input=k), dim).values
                ax.plot(x, st, color=colour, label=short(names[k]), **_marker(x))
                if "ST_conf" in data:
                    half = along(data["ST_conf"].isel(input=k), dim).values
                    ax.fill_between(x, st - half, st + half, color=colour, alpha=0.12, linewidth=0)
                ax.plot(
                    x,
                    along(data["S1"].isel(input=k), dim).values,
                    "--",
                    color=colour,
                    linewidth=1.1,
                )
            if rest:
                ax.plot(
                    x,
                    along(data["ST"].isel(input=rest).sum("input"), dim).values,
                    color=OTHERS,
                    label=f"{len(rest)} others (sum)",
                )
            ax.set_title(title)
            ax.set_xlabel(dim)
        axes[0][0].set_ylabel("index (ST solid, S1 dashed)")
        legend_below(fig, axes[0][0].get_legend_handles_labels()[0])
        return to_uri(fig)


def field_groups(
    panels: Sequence[tuple[str, xr.Dataset]], dim: str, colours: Mapping[str, str]
) -> str:
    """Group indices along ``dim``: ``ST_group`` solid, ``S1_group`` dashed.

    Parameters
    ----------
    panels
        ``(title, group indices)`` of each panel, side by side.
    dim
        The field dim along the horizontal axis.
    colours
        ``{group: colour}``; a group without one is drawn in ink.

    Returns
    -------
    str
        The figure, a ``data:`` URI.
    """
    groups = panels[0][1].sizes["group"]
    with figure(height=3.0, margins=legend_margins(groups), ncols=len(panels), sharey=True) as (
        fig,
        axes,
    ):
        for ax, (title, data) in zip(axes[0], panels, strict=True):
            x = coordinate(data, dim)
            for g in data["group"].values:
                colour = colours.get(str(g), INK)
                ax.plot(
                    x,
                    along(data["ST_group"].sel(group=g), dim).values,
                    color=colour,
                    label=str(g),
                    **_marker(x),
                )
                ax.plot(
                    x,
                    along(data["S1_group"].sel(group=g), dim).values,
                    "--",
                    color=colour,
                    linewidth=1.1,
                )
            ax.set_title(title)
            ax.set_xlabel(dim)
        axes[0][0].set_ylabel("group index (ST solid, S1 dashed)")
        legend_below(fig, axes[0][0].get_legend_handles_labels()[0])
        return to_uri(fig)


def field_moments(data: xr.Dataset, dim: str, name: str) -> str:
    """The mean along ``dim`` inside the bands between its outer and inner quantiles.

    Parameters
    ----------
    data
        The moments of one field output (``mean``, and ``quantile`` over ``q`` if asked).
    dim
        The field dim along the horizontal axis.
    name
        The output's name, the vertical axis's label.

    Returns
    -------
    str
        A ``data:`` URI of the figure.
    """
    x = coordinate(data, dim)
    with figure(height=3.0, margins=legend_margins(4, left=0.65, top=0.15)) as (fig, axes):
        ax = axes[0][0]
        if "quantile" in data:
            q = [float(v) for v in data["q"].values]
            quantile = along(data["quantile"], dim)
            pairs = [(0, len(q) - 1)]
            inner = [k for k, v in enumerate(q) if 0.2 <= v <= 0.8]
            if len(inner) >= 2:
                pairs.append((inner[0], inner[-1]))
            for (low, high), alpha in zip(pairs, (0.6, 0.35), strict=False):
                ax.fill_between(
                    x,
                    quantile.isel(q=low).values,
                    quantile.isel(q=high).values,
                    color=tint("#0072B2", alpha),
                    linewidth=0,
                    label=f"q{q[low]:g}–q{q[high]:g}",
                )
            if 0.5 in q:
                ax.plot(
                    x,
                    quantile.sel(q=0.5).values,
                    color="#0072B2",
                    linewidth=1.0,
                    linestyle=":",
                    label="median",
                )
        ax.plot(x, along(data["mean"], dim).values, color="#D55E00", label="mean", **_marker(x))
        ax.set_xlabel(dim)
        ax.set_ylabel(short(name, 24))
        legend_below(fig, ax.get_legend_handles_labels()[0])
        return to_uri(fig)


def field_curves(
    rows: Sequence[tuple[str, xr.DataArray]],
    dim: str,
    ylabel: str,
    colours: Mapping[str, str] | None = None,
) -> str:
    """Named curves along ``dim`` on one axis (log scale when they span decades).

    Parameters
    ----------
    rows
        ``(label, values)`` of each curve; a legend is drawn for two or more.
    dim
        The field dim along the horizontal axis.
    ylabel
        The vertical axis's label.
    colours
        ``{label: colour}`` for the curves that have one.

    Returns
    -------
    str
        The figure as a ``data:`` URI.
    """
    shades = line_colours([label for label, _ in rows], dict(colours or {}))
    entries = len(rows) if len(rows) > 1 else 0
    margins = legend_margins(entries, left=0.65, top=0.15)
    with figure(height=2.6 + 0.2 * -(-entries // 4), margins=margins) as (fig, axes):
        ax = axes[0][0]
        values = []
        for k, (label, array) in enumerate(rows):
            x = coordinate(array, dim)
            y = along(array, dim).values
            values.append(y)
            colour = shades.get(label, ("#0072B2", "#D55E00", "#009E73", INK)[k % 4])
            ax.plot(x, y, color=colour, label=short(label, 24), **_marker(x))
        if log_axis(np.concatenate(values)):
            ax.set_yscale("log")
        ax.set_xlabel(dim)
        ax.set_ylabel(ylabel)
        if entries:
            legend_below(fig, ax.get_legend_handles_labels()[0])
        return to_uri(fig)


def greyzone_curves(data: xr.Dataset, colours: Mapping[str, str], top: int = LINES) -> str:
    """Three panels over the spacing ``dx`` (log axis), the grey zone shaded: the output's
    mean and spread, the inputs' total indices, and the resolution sensitivity.

    Parameters
    ----------
    data
        One output's grey-zone dataset, in the shape the module's notes describe (the
        indices and sensitivity panels are drawn only when it holds them).
    colours
        ``{input: colour}`` kept across the report's figures.
    top
        How many inputs the indices panel draws one by one.

    Returns
    -------
    str
        The three panels as a ``data:`` URI.
    """
    from matplotlib.patches import Patch

    dx = np.asarray(data["resolution"].values, dtype=float)
    zone = _grey_zone(data)
    panels = (
        ["moments"]
        + (["indices"] if "ST" in data else [])
        + (["sensitivity"] if "sensitivity" in data else [])
    )
    margins = Margins(top=0.75, bottom=1.0, between=0.35)
    with figure(height=3.5, margins=margins, ncols=len(panels)) as (fig, axes):
        handles: list[Any] = []
        # Titles level with the one above the right panel's top axis, when it has one.
        lift = 1.22 if _scale_axis(axes[0][-1], data) else 1.0
        for ax, panel in zip(axes[0], panels, strict=True):
            if zone is not None:
                ax.axvspan(*zone, color=GREY_ZONE, alpha=0.55, linewidth=0, zorder=0)
            ax.set_title(getattr(_Greyzone, panel)(ax, data, dx, colours, top), y=lift)
            ax.set_xscale("log")
            ax.set_xlabel(f"{data.attrs.get('parameter', 'dx')}  (grid spacing)")
            handles += ax.get_legend_handles_labels()[0]
        if zone is not None:
            handles.append(Patch(color=GREY_ZONE, label="grey zone"))
        legend_below(fig, handles, columns=5)
        return to_uri(fig)


def _grey_zone(data: xr.Dataset) -> tuple[float, float] | None:
    zone = np.atleast_1d(np.asarray(data.attrs.get("grey_zone", []), dtype=float))
    if zone.size != 2 or not np.isfinite(zone).all():
        return None
    dx = np.asarray(data["resolution"].values, dtype=float)
    # Shade half a grid step beyond the flagged spacings, so a single one shows.
    step = np.sqrt(dx[1:] / dx[:-1]).mean() if len(dx) > 1 else 1.5
    return float(zone[0] / step), float(zone[1] * step)


def _scale_axis(ax: Any, data: xr.Dataset) -> bool:
    """A top axis of ``dx / process scale`` when the scale is known."""
    scale = float(data.attrs.get("process_scale", np.nan))
    if not (np.isfinite(scale) and scale > 0):
        return False
    top = ax.secondary_xaxis("top", functions=(lambda x: x / scale, lambda x: x * scale))
    top.set_xlabel("dx / process scale", fontsize=7.5, color=MUTED)
    top.tick_params(labelsize=7, colors=MUTED)
    return True


class _Greyzone:
    """The panels of :func:`greyzone_curves`; each draws and returns its title."""

    @staticmethod
    def moments(
        ax: Any, data: xr.Dataset, dx: np.ndarray, colours: Mapping[str, str], top: int
    ) -> str:
        mean = data["mean"].values
        ax.plot(dx, mean, color="#D55E00", marker="o", markersize=3, label="mean")
        if "std" in data:
            std = data["std"].values
            ax.fill_between(
                dx, mean - std, mean + std, color=tint("#0072B2", 0.6), linewidth=0, label="± 1 std"
            )
        return "Output"

    @staticmethod
    def indices(
        ax: Any, data: xr.Dataset, dx: np.ndarray, colours: Mapping[str, str], top: int
    ) -> str:
        names = [str(n) for n in data["input"].values]
        st = data["ST"].transpose("input", "resolution")
        shown, rest = top_inputs(np.asarray(st.max("resolution").values, dtype=float), names, top)
        shades = line_colours([names[k] for k in shown], dict(colours))
        for k in shown:
            ax.plot(
                dx,
                st.isel(input=k).values,
                color=shades[names[k]],
                marker="o",
                markersize=3,
                label=short(names[k]),
            )
        if rest:
            ax.plot(
                dx,
                st.isel(input=rest).sum("input").values,
                color=OTHERS,
                label=f"{len(rest)} others",
            )
        ax.set_ylim(bottom=min(0.0, float(st.min())))
        return "Total indices"

    @staticmethod
    def sensitivity(
        ax: Any, data: xr.Dataset, dx: np.ndarray, colours: Mapping[str, str], top: int
    ) -> str:
        values = np.asarray(data["sensitivity"].values, dtype=float)
        ax.plot(dx, values, color=INK, marker="o", markersize=3)
        threshold = float(data.attrs.get("threshold", 1.0))
        ax.axhline(threshold, color="#D55E00", linewidth=0.9, linestyle="--", label="threshold")
        if log_axis(values):
            ax.set_yscale("log")
        return "Resolution sensitivity"
