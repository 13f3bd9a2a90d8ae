"""Figures of scalar outputs: index bars, indices by scale group, Morris screening,
quantiles, and the convergence of a polynomial chaos expansion.

Every function takes analysis Datasets and returns a ``data:`` URI (see
:func:`uqscale.report.figures.to_uri`); captions are written by the sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from uqscale.report.figures import (
    INK,
    MUTED,
    OTHERS,
    TOP,
    Margins,
    figure,
    label_inches,
    legend_below,
    legend_margins,
    line_colours,
    log_axis,
    short,
    tint,
    to_uri,
    top_inputs,
)


@dataclass(frozen=True)
class Bars:
    """An index bar chart and what its caption must say."""

    uri: str
    pooled: int
    """Inputs pooled in the last bar (0: every input shown)."""


def _values(data: xr.Dataset, name: str) -> np.ndarray:
    return np.asarray(data[name].values, dtype=float)


def _optional(data: xr.Dataset, name: str) -> np.ndarray | None:
    return _values(data, name) if name in data else None


@dataclass(frozen=True)
class BarKind:
    """What an index bar chart draws: its bars per input, ``(variable, light)`` (light:
    the paler tint of the input's colour), ranked by the last (drawn darkest), and the
    legend's entry for each."""

    keys: tuple[tuple[str, bool], ...]
    legend: tuple[str, ...]


SOBOL = BarKind(
    (("S1", True), ("ST", False)),
    ("S1  first order (alone)", "ST  total (with interactions)"),
)
SHAPLEY = BarKind(
    (("Sh", False),),
    ("Sh  Shapley effect (correlated inputs share their common variance)",),
)
"""Shapley effects: one bar per input, the effects summing to the output's variance."""


def index_bars(
    panels: Sequence[tuple[str, xr.Dataset]],
    colours: Mapping[str, str],
    top: int = TOP,
    kind: BarKind = SOBOL,
) -> Bars:
    """Indices per input as bars, one panel per method: first-order and total indices
    side by side (:data:`SOBOL`), or Shapley effects (:data:`SHAPLEY`).

    Inputs are ranked by the first panel's ``ST`` (``Sh``); beyond ``top`` they are
    pooled in one grey bar holding the sums of their indices. Bars of an input take its
    scale group's colour: ``S1`` light, ``ST`` and ``Sh`` full; whiskers are ``*_conf``.

    Parameters
    ----------
    panels
        ``(title, indices)`` per method: datasets over ``input`` holding the kind's
        variables (``S1`` and ``ST``, or ``Sh``) and their ``*_conf`` when estimated.
    colours
        ``{input: colour}`` (its scale group's).
    top
        The most inputs given a bar of their own.
    kind
        Which indices the bars are.

    Returns
    -------
    Bars
        The figure's ``data:`` URI and how many inputs its last bar pools.
    """
    names = [str(n) for n in panels[0][1]["input"].values]
    shown, rest = top_inputs(_values(panels[0][1], kind.keys[-1][0]), names, top)
    labels = [short(names[k]) for k in shown] + ([f"{len(rest)} others (sum)"] if rest else [])
    margins = Margins(left=label_inches(labels), bottom=0.78, between=0.12)
    with figure(
        height=1.1 + 0.4 * len(labels), margins=margins, ncols=len(panels), sharey=True
    ) as (fig, axes):
        from matplotlib.ticker import MaxNLocator

        reach = []
        for ax, (title, data) in zip(axes[0], panels, strict=True):
            reach.append(_index_panel(ax, data, (names, shown, rest), colours, kind))
            ax.set_title(title)
            ax.xaxis.set_major_locator(MaxNLocator(6 if len(panels) < 3 else 3))
        for ax in axes[0]:  # one scale for every method, so that bars compare across panels
            ax.set_xlim(min(low for low, _ in reach), max(high for _, high in reach))
        axes[0][0].set_yticks(range(len(labels)), labels)
        axes[0][0].invert_yaxis()
        used = {colours.get(names[k], INK) for k in shown}
        legend_below(fig, _legend(kind, used.pop() if len(used) == 1 else MUTED))
        return Bars(to_uri(fig), len(rest))


def index_bars_image(
    panels: Sequence[tuple[str, xr.Dataset]], colours: Mapping[str, str], kind: BarKind = SOBOL
) -> str:
    """:func:`index_bars` drawn, as its ``data:`` URI only.

    Parameters
    ----------
    panels
        ``(title, indices)`` per method, as :func:`index_bars` takes them.
    colours
        The inputs' colours, by name.
    kind
        Which indices the bars are (:data:`SOBOL` or :data:`SHAPLEY`).

    Returns
    -------
    str
        The bars' ``data:`` URI.
    """
    return index_bars(panels, colours, kind=kind).uri


def _index_panel(
    ax: Any,
    data: xr.Dataset,
    order: tuple[list[str], list[int], list[int]],
    colours: Mapping[str, str],
    kind: BarKind,
) -> tuple[float, float]:
    """Draw one method's bars on ``ax`` (``order``: the inputs' names, the positions
    shown and those pooled); return the x range they need."""
    names, shown, rest = order
    right = 1.0
    height = 0.72 / len(kind.keys)
    for place, (key, light) in enumerate(kind.keys):
        offset = (place - (len(kind.keys) - 1) / 2) * height * 1.05
        values, conf = _values(data, key), _optional(data, f"{key}_conf")
        colour = [colours.get(names[k], INK) for k in shown]
        heights = list(values[shown])
        errors = list(conf[shown]) if conf is not None else None
        if rest:
            colour.append(OTHERS)
            heights.append(float(np.nansum(values[rest])))
            if errors is not None:
                errors.append(0.0)
        face = [tint(c) if light else c for c in colour]
        ax.barh(
            np.arange(len(heights)) + offset,
            heights,
            height=height,
            color=face,
            xerr=errors,
            error_kw={"ecolor": INK, "elinewidth": 0.8, "capsize": 1.8},
        )
        if not light:
            for y, v in enumerate(heights):
                reach = max(v, 0) + (errors[y] if errors else 0)
                ax.text(reach + 0.015, y + offset, f"{v:.2f}", va="center", fontsize=7, color=MUTED)
        top_value = np.nanmax(np.asarray(heights) + (np.asarray(errors) if errors else 0))
        right = max(right, float(top_value) + 0.1)
    ax.axvline(0, color="#9AA5B1", linewidth=0.7)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("share of output variance")
    return min(0.0, _lowest(data, [key for key, _ in kind.keys])) - 0.02, right


def _lowest(data: xr.Dataset, keys: Sequence[str]) -> float:
    low = [
        float(np.nanmin(data[k].values - data.get(f"{k}_conf", 0 * data[k]).values))
        for k in keys
        if k in data
    ]
    return min([0.0, *low])


def _legend(kind: BarKind, colour: str = MUTED) -> list[Any]:
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=tint(colour) if light else colour, label=label)
        for (_, light), label in zip(kind.keys, kind.legend, strict=True)
    ]


def group_bars(panels: Sequence[tuple[str, xr.Dataset]], colours: Mapping[str, str]) -> str:
    """Closed first-order and total indices of every scale group, one panel per method.

    Parameters
    ----------
    panels
        ``(title, group indices)`` per method: datasets over ``group`` holding
        ``S1_group`` and ``ST_group`` (and their ``*_conf`` when estimated).
    colours
        ``{scale group: colour}``.

    Returns
    -------
    str
        The figure as a ``data:`` URI.
    """
    groups = [str(g) for g in panels[0][1]["group"].values]
    margins = Margins(left=label_inches(groups), bottom=0.78, between=0.08)
    with figure(
        height=1.1 + 0.45 * len(groups), margins=margins, ncols=len(panels), sharey=True
    ) as (fig, axes):
        for ax, (title, data) in zip(axes[0], panels, strict=True):
            for offset, key, light in ((-0.19, "S1_group", True), (0.19, "ST_group", False)):
                values = _values(data, key)
                conf = _optional(data, f"{key}_conf")
                face = [tint(colours[g]) if light else colours[g] for g in groups]
                ax.barh(
                    np.arange(len(groups)) + offset,
                    values,
                    height=0.36,
                    color=face,
                    xerr=conf,
                    error_kw={"ecolor": INK, "elinewidth": 0.8, "capsize": 2},
                )
                if not light:
                    for y, v in enumerate(values):
                        reach = max(v, 0) + (conf[y] if conf is not None else 0)
                        ax.text(
                            reach + 0.015,
                            y + offset,
                            f"{v:.2f}",
                            va="center",
                            fontsize=7,
                            color=MUTED,
                        )
            ax.set_xlim(-0.02, 1.15)
            ax.axvline(0, color="#9AA5B1", linewidth=0.7)
            ax.grid(axis="y", visible=False)
            ax.tick_params(axis="y", length=0)
            ax.set_title(title)
            ax.set_xlabel("share of output variance")
        axes[0][0].set_yticks(range(len(groups)), groups)
        axes[0][0].invert_yaxis()
        legend_below(fig, _legend(SOBOL))
        return to_uri(fig)


def index_matrix(
    rows: Sequence[str],
    columns: Sequence[str],
    values: np.ndarray,
    secondary: np.ndarray | None = None,
    column_colours: Sequence[str] | None = None,
) -> str:
    """A table of indices as colours: ``values`` (rows x columns, 0 to 1) shaded from
    white to dark blue and written in each cell, ``secondary`` in brackets after it;
    a strip under each column header in ``column_colours`` (scale groups).

    Parameters
    ----------
    rows
        The row labels (e.g. outputs).
    columns
        The column labels (e.g. inputs).
    values
        ``(len(rows), len(columns))`` shares between 0 and 1; NaN is drawn white.
    secondary
        Values of the same shape written in brackets (e.g. ``S1`` after ``ST``).
    column_colours
        A colour per column, drawn as a strip under its header.

    Returns
    -------
    str
        A ``data:`` URI of the table.
    """
    from matplotlib.colors import LinearSegmentedColormap

    ramp = LinearSegmentedColormap.from_list("share", ["#FFFFFF", "#0072B2", "#003A5C"])
    longest = max(len(short(c, 14)) for c in columns)
    margins = Margins(
        left=label_inches(rows), top=0.2 + 0.05 * longest, bottom=0.1, right=0.1 + 0.045 * longest
    )
    width = min(7.2, margins.left + margins.right + 0.62 * len(columns))
    with figure(width=width, height=margins.top + 0.1 + 0.3 * len(rows), margins=margins) as (
        fig,
        axes,
    ):
        ax = axes[0][0]
        ax.imshow(np.clip(np.nan_to_num(values), 0, 1), cmap=ramp, vmin=0, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(values):
            text = f"{v:.2f}" + (f" ({secondary[i, j]:.2f})" if secondary is not None else "")
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if v > 0.55 else INK,
            )
        ax.set_xticks(
            range(len(columns)),
            [short(c, 14) for c in columns],
            rotation=40,
            ha="left",
            rotation_mode="anchor",
        )
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(rows)), [short(r, 20) for r in rows])
        ax.tick_params(length=0)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for j, colour in enumerate(column_colours or []):
            ax.add_patch(_strip(j, colour))
        ax.set_ylim(len(rows) - 0.5, -0.62)
        return to_uri(fig)


def _strip(column: int, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((column - 0.45, -0.6), 0.9, 0.08, color=colour, clip_on=False)


def morris_scatter(
    data: xr.Dataset,
    colours: Mapping[str, str],
    group_colours: Mapping[str, str],
    scale_of: Mapping[str, str],
    top: int = TOP,
) -> str:
    """``mu*`` against ``sigma`` per input with ``mu*`` confidence whiskers; the ``top``
    inputs by ``mu*`` are named where the names do not collide, and rays mark
    ``sigma / mu*`` = 0.1, 0.5 and 1.

    Parameters
    ----------
    data
        Morris measures over ``input``: ``mu_star``, ``sigma`` (and ``mu_star_conf``).
    colours
        ``{input: colour}`` of the points.
    group_colours
        ``{scale group: colour}``, for the legend of groups.
    scale_of
        ``{input: scale group}``; the legend is drawn for two or more groups.
    top
        How many inputs, the largest ``mu*`` first, may be named.

    Returns
    -------
    str
        The scatter plot as a ``data:`` URI.
    """
    names = [str(n) for n in data["input"].values]
    mu_star, sigma = _values(data, "mu_star"), _values(data, "sigma")
    conf = _optional(data, "mu_star_conf")
    right = float(np.nanmax(mu_star + (conf if conf is not None else 0))) * 1.1 or 1.0
    up = float(np.nanmax(sigma)) * 1.25 or 1.0
    grouped = len(set(scale_of.values())) > 1
    margins = Margins(left=0.7, bottom=0.7 if grouped else 0.45, top=0.15, right=0.2)
    with figure(width=5.6, height=4.0 if grouped else 3.8, margins=margins) as (fig, axes):
        ax = axes[0][0]
        for ratio in (0.1, 0.5, 1.0):
            ax.plot(
                [0, right],
                [0, ratio * right],
                color="#CBD2D9",
                linewidth=0.8,
                linestyle=(0, (4, 3)),
                zorder=1,
            )
            x = min(right, up / ratio) * 0.98
            ax.text(
                x,
                ratio * x,
                f"σ/μ* = {ratio:g} ",
                fontsize=6.5,
                color=MUTED,
                ha="right",
                va="bottom",
            )
        ax.errorbar(
            mu_star,
            sigma,
            xerr=conf,
            fmt="none",
            ecolor="#9AA5B1",
            elinewidth=0.8,
            capsize=1.5,
            zorder=2,
        )
        ax.scatter(
            mu_star,
            sigma,
            s=30,
            c=[colours.get(n, INK) for n in names],
            edgecolors="white",
            linewidths=0.6,
            zorder=3,
        )
        placed: list[tuple[float, float]] = []
        for k in top_inputs(mu_star, names, top)[0][:top]:
            spot = (mu_star[k] / right, sigma[k] / up)
            if all(abs(spot[0] - a) > 0.07 or abs(spot[1] - b) > 0.05 for a, b in placed):
                placed.append(spot)
                ax.annotate(
                    short(names[k], 14),
                    (mu_star[k], sigma[k]),
                    xytext=(4, 3),
                    textcoords="offset points",
                    fontsize=7.5,
                    color=INK,
                )
        ax.set_xlim(0, right)
        ax.set_ylim(0, up)
        ax.set_xlabel("μ*  mean absolute elementary effect")
        ax.set_ylabel("σ  spread of the effects")
        used = [g for g in group_colours if g in set(scale_of.values())]
        if len(used) > 1:
            from matplotlib.lines import Line2D

            legend_below(
                fig,
                [
                    Line2D(
                        [], [], marker="o", linestyle="", color=group_colours[g], label=f"{g} scale"
                    )
                    for g in used
                ],
                columns=len(used),
            )
        return to_uri(fig)


def quantile_strips(rows: Sequence[tuple[str, xr.Dataset]]) -> str:
    """One strip per scalar output: the outer quantiles as whiskers, the inner ones as a
    box, the median as a bar and the mean as a diamond (each output on its own axis)."""
    margins = Margins(
        left=label_inches([short(n) for n, _ in rows]), top=0.1, bottom=0.3, between=0.5
    )
    with figure(height=0.4 + 0.62 * len(rows), margins=margins, nrows=len(rows)) as (fig, axes):
        for ax, (name, data) in zip(axes[:, 0], rows, strict=True):
            q = np.asarray(data["q"].values, dtype=float)
            values = np.asarray(data["quantile"].values, dtype=float)
            ax.plot([values[0], values[-1]], [0, 0], color=MUTED, linewidth=1.2)
            inner = [k for k in range(len(q)) if 0.2 <= q[k] <= 0.8]
            if len(inner) >= 2:
                low, high = values[inner[0]], values[inner[-1]]
                ax.barh(
                    0,
                    high - low,
                    left=low,
                    height=0.5,
                    color=tint("#0072B2", 0.6),
                    edgecolor="#0072B2",
                    linewidth=0.8,
                )
            if 0.5 in q:
                median = values[list(q).index(0.5)]
                ax.plot([median, median], [-0.25, 0.25], color="#0072B2", linewidth=2)
            ax.plot(float(data["mean"]), 0, marker="D", color="#D55E00", markersize=5)
            ax.set_ylim(-0.5, 0.5)
            ax.set_yticks([0], [short(name)])
            ax.grid(axis="y", visible=False)
            ax.spines["left"].set_visible(False)
            ax.tick_params(axis="y", length=0)
        return to_uri(fig)


def convergence_keys(data: xr.Dataset) -> dict[str, str]:
    """Which variables hold the indices and the fit error over ``runs``: ``S1``, ``ST``
    and ``error`` mapped to names such as ``ST_by_runs`` or ``cv_error_by_runs``.

    Examples
    --------
    >>> convergence_keys(xr.Dataset({"ST_by_runs": (("runs", "input"), [[1.0]])}))
    {'ST': 'ST_by_runs'}
    """
    found = {}
    candidates = {
        "S1": ("S1_by_runs", "S1"),
        "ST": ("ST_by_runs", "ST"),
        "error": ("cv_error_by_runs", "loo_error_by_runs", "loo_error", "cv_error"),
    }
    for key, names in candidates.items():
        name = next((n for n in names if n in data and "runs" in data[n].dims), None)
        if name:
            found[key] = name
    return found


def convergence(data: xr.Dataset, colours: Mapping[str, str], top: int = 6) -> str:
    """Indices (and the fit error) of an expansion fitted to growing numbers of runs
    (dim ``runs``): ``ST`` solid, ``S1`` dashed, for the ``top`` inputs.

    Parameters
    ----------
    data
        An expansion's convergence study: indices (and ``error``) over ``runs`` and
        ``input`` (:func:`convergence_keys` finds their names).
    colours
        ``{input: colour}``.
    top
        The inputs drawn: those with the largest ``ST`` at the most runs.

    Returns
    -------
    str
        One panel (two with the fit error), as a ``data:`` URI.
    """
    keys = convergence_keys(data)
    runs = np.asarray(data["runs"].values, dtype=float)
    names = [str(n) for n in data["input"].values]
    last = np.asarray(data[keys["ST"]].isel(runs=-1).values, dtype=float)
    shown = top_inputs(last, names, top)[0][:top]
    margins = legend_margins(len(shown), columns=6, left=0.7, between=0.45)
    with figure(height=3.2, margins=margins, ncols=2 if "error" in keys else 1) as (fig, axes):
        ax = axes[0][0]
        shades = line_colours([names[k] for k in shown], dict(colours))
        for k in shown:
            colour = shades[names[k]]
            for key, style in (("ST", "-"), ("S1", "--")):
                if key not in keys:
                    continue
                series = data[keys[key]].isel(input=k).transpose("runs").values
                conf = data.get(f"{keys[key]}_conf")
                if conf is not None and "runs" in conf.dims and key == "ST":
                    half = conf.isel(input=k).transpose("runs").values
                    ax.fill_between(
                        runs, series - half, series + half, color=colour, alpha=0.12, linewidth=0
                    )
                ax.plot(
                    runs,
                    series,
                    style,
                    color=colour,
                    marker="o",
                    markersize=2.5,
                    label=short(names[k]) if key == "ST" else None,
                )
        _runs_axis(ax, runs)
        ax.set_ylabel("index (ST solid, S1 dashed)")
        ax.set_title("Indices as runs are added")
        legend_below(fig, ax.get_legend_handles_labels()[0], columns=6)
        if "error" in keys:
            error = axes[0][1]
            values = data[keys["error"]].values
            error.plot(runs, values, color=INK, marker="o", markersize=3)
            _runs_axis(error, runs)
            if log_axis(values):
                error.set_yscale("log")
            error.set_ylabel(
                keys["error"]
                .removesuffix("_by_runs")
                .replace("_", " ")
                .replace("cv", "cross-validation")
                .replace("loo", "leave-one-out")
            )
            error.set_title("Fit quality")
        return to_uri(fig)


def _runs_axis(ax: Any, runs: np.ndarray) -> None:
    """A log axis of run counts labelled at the counts themselves."""
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.set_xticks(runs, [f"{int(r):,}" for r in runs])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("model runs used")
