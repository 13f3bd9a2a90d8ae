"""The report's section on data assimilation, drawn from ``assimilation.nc``.

The file (written by an assimilation run; its contract is in docs/assimilation.md)
holds per cycle the forecast and analysis ensembles, the whole forecast of every
observed output, the observations with the forecast members' predictions of them,
and the innovations. The section shows, in this order: the forecast and analysis
bands of each observed quantity against its observations over time; the updated
inputs' mean and band per cycle next to their prior and, when declared, the truth;
RMSE and spread per cycle; and the normalised innovations, which a well-tuned filter
gives unit variance.

Bands are the central 90 % of the ensemble (``BAND``). The forecast band at time
``t`` is that of the latest forecast made before ``t`` (cycle ``k``'s forecast for the
times after cycle ``k - 1``'s observations): the twin's prediction of what it had not
yet seen. The analysis band at cycle ``k``'s time is the ensemble's prediction there
after assimilating it (cycle ``k + 1``'s forecast, run with cycle ``k``'s analysis).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import xarray as xr

from uqscale.report.blocks import Block, Cards, Figure, Section, Table, number
from uqscale.report.data import RunData
from uqscale.report.figures import (
    INK,
    MUTED,
    PALETTE,
    figure,
    legend_below,
    legend_margins,
    log_axis,
    short,
    tint,
    to_uri,
)
from uqscale.report.look import Look
from uqscale.store import ENGINE

FILE = "assimilation.nc"
BAND = (0.05, 0.95)
"""Quantiles bounding every band (the central 90 % of the ensemble)."""
FORECAST, ANALYSIS, OBSERVED = PALETTE[0], PALETTE[1], INK


def read_assimilation(directory: Path) -> xr.Dataset | None:
    """``assimilation.nc`` of a run folder, loaded into memory (None when absent)."""
    path = directory / FILE
    if not path.is_file():
        return None
    with xr.open_dataset(path, engine=ENGINE) as ds:
        return ds.load()


def observed_outputs(data: RunData, ds: xr.Dataset) -> dict[str, str]:
    """Each observed quantity's model output whose forecast is stored
    (``forecast_OUT``): the study's ``assimilate.observe`` mapping, else an output of
    the quantity's own name.

    Parameters
    ----------
    data
        The run.
    ds
        Its ``assimilation.nc``.

    Returns
    -------
    dict
        ``{quantity: output}``, in the order the quantities are first observed.
    """
    block = getattr(data.study, "assimilate", None)
    mapping = {q: o.output for q, o in block.observe.items()} if block is not None else {}
    found = {}
    for quantity in dict.fromkeys(str(q) for q in ds["obs_quantity"].values):
        output = mapping.get(quantity, quantity)
        if f"forecast_{output}" in ds:
            found[quantity] = output
    return found


def field_coordinate(data: RunData, ds: xr.Dataset, output: str) -> np.ndarray:
    """Values along the field dim of ``forecast_OUT``: its coordinate in the file,
    else the output's declared coordinate, else 0, 1, 2 ...

    Parameters
    ----------
    data
        The run (its study declares the outputs).
    ds
        Its ``assimilation.nc``.
    output
        The observed output.

    Returns
    -------
    numpy.ndarray
    """
    array = ds[f"forecast_{output}"]
    dim = str(array.dims[-1])
    if dim in array.coords and array[dim].dims == (dim,):
        return np.asarray(array[dim].values, dtype=float)
    spec = next((o for o in data.study.outputs if o.name == output), None)
    if spec is not None and dim in spec.coords:
        return np.asarray(spec.coords[dim], dtype=float)
    return np.arange(array.sizes[dim], dtype=float)


def forecast_cycle(cycle_times: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each point of ``x``, the cycle whose forecast is the latest made before it.

    Parameters
    ----------
    cycle_times
        The cycles' observation times, increasing.
    x
        Points of the field coordinate.

    Returns
    -------
    numpy.ndarray
        Cycle indices: ``k`` for ``cycle_times[k - 1] < x <= cycle_times[k]``, the
        last cycle after its time.

    >>> forecast_cycle(np.array([4.0, 16.0]), np.array([0.0, 4.0, 10.0, 20.0])).tolist()
    [0, 0, 1, 1]
    """
    return np.minimum(np.searchsorted(cycle_times, x, side="left"), len(cycle_times) - 1)


def forecast_band(ds: xr.Dataset, output: str, x: np.ndarray) -> np.ndarray:
    """The forecast band ``(2, len(x))`` of ``output`` (see the module docstring).

    Parameters
    ----------
    ds
        The ``assimilation.nc`` Dataset.
    output
        An output with ``forecast_OUT``.
    x
        Its field coordinate.

    Returns
    -------
    numpy.ndarray
        Lower and upper quantiles (``BAND``) at every point.
    """
    members = np.asarray(ds[f"forecast_{output}"].values, dtype=float)
    cycle = forecast_cycle(np.asarray(ds["time"].values, dtype=float), x)
    chosen = members[cycle, :, np.arange(len(x))]  # (points, members)
    return np.asarray(np.quantile(chosen, BAND, axis=1), dtype=float)


def analysis_band(ds: xr.Dataset, output: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The analysis band of ``output`` at the cycles' times: the next cycle's forecast
    there (so none for the last cycle).

    Parameters
    ----------
    ds
        The ``assimilation.nc`` Dataset.
    output
        An output with ``forecast_OUT``.
    x
        Its field coordinate.

    Returns
    -------
    tuple
        The times ``(K - 1,)`` and the band ``(2, K - 1)``.
    """
    members = np.asarray(ds[f"forecast_{output}"].values, dtype=float)
    times = np.asarray(ds["time"].values, dtype=float)[:-1]
    points = np.array([int(np.argmin(np.abs(x - t))) for t in times], dtype=int)
    after = members[np.arange(1, len(times) + 1), :, points]  # (K - 1, members)
    return times, np.quantile(after, BAND, axis=1)


def quantity_figure(ds: xr.Dataset, quantity: str, output: str, x: np.ndarray) -> str:
    """Forecast and analysis bands of one observed quantity, with its observations.

    Parameters
    ----------
    ds
        The ``assimilation.nc`` Dataset.
    quantity, output
        The observed quantity and the model output it is read from.
    x
        The output's field coordinate.

    Returns
    -------
    str
        The figure's ``data:`` URI.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    obs = ds["obs_quantity"].values.astype(str) == quantity
    with figure(height=3.0, margins=legend_margins(4, left=0.7)) as (fig, axes):
        ax = axes[0][0]
        low, high = forecast_band(ds, output, x)
        ax.fill_between(x, low, high, color=tint(FORECAST, 0.6), linewidth=0)
        times, (a_low, a_high) = analysis_band(ds, output, x)
        ax.vlines(times, a_low, a_high, color=ANALYSIS, linewidth=3.0)
        ax.errorbar(
            ds["obs_time"].values[obs],
            ds["obs_value"].values[obs],
            yerr=ds["obs_error_sd"].values[obs],
            fmt="o",
            color=OBSERVED,
            markersize=3.5,
            linewidth=0.9,
        )
        if log_axis(np.concatenate([low, high])):
            ax.set_yscale("log")
        ax.set_xlabel("time")
        ax.set_ylabel(short(f"{quantity} ({output})", 26))
        legend_below(
            fig,
            [
                Patch(color=tint(FORECAST, 0.6), label="forecast, 90 % band"),
                Line2D([], [], color=ANALYSIS, linewidth=3.0, label="analysis, 90 % band"),
                Line2D([], [], color=OBSERVED, marker="o", linestyle="", label="observed ± sd"),
            ],
        )
        return to_uri(fig)


def parameter_figure(ds: xr.Dataset, colours: dict[str, str]) -> str:
    """Each updated input's analysis mean and band per cycle, its prior band, and the
    truth when the file declares it.

    Parameters
    ----------
    ds
        The ``assimilation.nc`` Dataset.
    colours
        Each input's colour (its scale group's).

    Returns
    -------
    str
        The figure's ``data:`` URI.
    """
    names = [str(n) for n in ds["parameter"].values]
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    times = np.asarray(ds["time"].values, dtype=float)
    analysis = np.asarray(ds["parameters_analysis"].values, dtype=float)
    prior = np.asarray(ds["parameters_forecast"].values, dtype=float)[0]
    truth = ds["truth_parameters"].values if "truth_parameters" in ds else None
    margins = legend_margins(4, left=0.55, top=0.3, between=0.45)
    height = 0.4 + 1.9 * rows + margins.bottom
    with figure(height=height, margins=margins, ncols=columns, nrows=rows, sharex=True) as (
        fig,
        axes,
    ):
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        for k, ax in enumerate(axes.ravel()):
            if k >= len(names):
                ax.set_axis_off()
                continue
            colour = colours.get(names[k], FORECAST)
            ax.axhspan(*np.quantile(prior[:, k], BAND), color="#EEF0F3", linewidth=0)
            low, high = np.quantile(analysis[:, :, k], BAND, axis=1)
            ax.fill_between(times, low, high, color=tint(colour, 0.55), linewidth=0)
            ax.plot(times, analysis[:, :, k].mean(axis=1), color=colour, marker="o", markersize=3)
            if truth is not None:
                ax.axhline(float(truth[k]), color=INK, linestyle="--", linewidth=1.0)
            if log_axis(np.concatenate([prior[:, k], analysis[:, :, k].ravel()])):
                ax.set_yscale("log")
            ax.set_title(short(names[k], 22))
        for ax in axes[-1]:
            ax.set_xlabel("time")
        legend_below(
            fig,
            [
                Patch(color="#EEF0F3", label="prior, 90 %"),
                Patch(color=tint(MUTED, 0.55), label="analysis, 90 % (scale colour)"),
                Line2D([], [], color=MUTED, marker="o", markersize=3, label="analysis mean"),
                Line2D([], [], color=INK, linestyle="--", label="truth"),
            ][: 4 if truth is not None else 3],
        )
        return to_uri(fig)


def error_figure(ds: xr.Dataset) -> str:
    """RMSE and spread of the analysis per cycle, the spin-up shaded."""
    times = np.asarray(ds["time"].values, dtype=float)
    with figure(height=2.8, margins=legend_margins(3, left=0.6)) as (fig, axes):
        ax = axes[0][0]
        spinup = int(ds.attrs.get("spinup", 0))
        if 0 < spinup < len(times):
            ax.axvspan(times[0], times[spinup], color="#F2F3F5", linewidth=0, label="spin-up")
        ax.plot(times, ds["rmse"].values, color=FORECAST, marker="o", markersize=3, label="RMSE")
        ax.plot(
            times, ds["spread"].values, color=ANALYSIS, marker="s", markersize=3, label="spread"
        )
        ax.set_ylim(bottom=0)
        ax.set_xlabel("time")
        ax.set_ylabel(f"against the {ds.attrs.get('against', 'truth')}")
        legend_below(fig, ax.get_legend_handles_labels()[0])
        return to_uri(fig)


def innovation_figure(ds: xr.Dataset) -> str:
    """Histogram of the normalised innovations next to the standard normal density."""
    values = np.asarray(ds["normalised_innovation"].values, dtype=float)
    values = values[np.isfinite(values)]
    with figure(height=2.6, margins=legend_margins(2, left=0.6)) as (fig, axes):
        ax = axes[0][0]
        reach = max(3.5, float(np.abs(values).max(initial=0.0)) + 0.25)
        bins = np.linspace(-reach, reach, max(8, min(30, len(values) // 3)))
        ax.hist(values, bins=bins, density=True, color=tint(FORECAST, 0.45), label="observed")
        grid = np.linspace(-reach, reach, 200)
        density = np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi)
        ax.plot(grid, density, color=INK, linewidth=1.2, label="standard normal")
        ax.set_xlabel("normalised innovation")
        ax.set_ylabel("density")
        legend_below(fig, ax.get_legend_handles_labels()[0])
        return to_uri(fig)


def innovation_table(ds: xr.Dataset) -> Table:
    """Mean and variance of the normalised innovations, by observed quantity."""
    quantity = ds["obs_quantity"].values.astype(str)
    values = np.asarray(ds["normalised_innovation"].values, dtype=float)
    rows = []
    for name in [*dict.fromkeys(quantity), "all"]:
        picked = values if name == "all" else values[quantity == name]
        rows.append([name, number(len(picked)), number(picked.mean()), number(picked.var())])
    return Table(
        ["quantity", "observations", "mean", "variance"],
        rows,
        "Normalised innovations (observed minus the forecast's mean prediction, over the "
        "root of the forecast's variance plus the observation error's): about mean 0 and "
        "variance 1 when the ensemble's spread and the stated errors are right; a variance "
        "far above 1 says the forecast is overconfident, far below that it is too wide.",
        numeric=(1, 2, 3),
    )


def section(data: RunData, look: Look) -> Section | None:
    """The data assimilation section, when the run folder holds ``assimilation.nc``.

    Parameters
    ----------
    data
        The run.
    look
        The report's colours (inputs take their scale group's).

    Returns
    -------
    Section or None
        None when the run did not assimilate.
    """
    ds = read_assimilation(data.directory)
    if ds is None:
        return None
    against = str(ds.attrs.get("against", "truth"))
    blocks: list[Block] = [
        Cards(
            [
                ("method", f"{ds.attrs.get('method', '?')} × {ds.sizes['member']}", "neutral"),
                ("cycles", number(ds.sizes["cycle"]), "neutral"),
                (f"RMSE ({against})", number(ds.attrs.get("rmse_mean")), "neutral"),
                ("spread", number(ds.attrs.get("spread_mean")), "neutral"),
                (
                    "innovation variance",
                    number(float(np.nanvar(ds["normalised_innovation"].values))),
                    "neutral",
                ),
            ]
        )
    ]
    for quantity, output in observed_outputs(data, ds).items():
        x = field_coordinate(data, ds, output)
        blocks.append(
            Figure(
                partial(quantity_figure, ds, quantity, output, x),
                f"{quantity}: forecast and analysis against the observations",
                f"{quantity} (model output {output}) over time: the light band holds the "
                f"central 90 % of the latest forecast made before each time (what the "
                f"ensemble predicted before seeing it), the orange bars the central 90 % "
                f"of its prediction at each observation time after assimilating it; "
                f"points are the observations, whiskers their error standard deviation.",
            )
        )
    if "parameters_analysis" in ds:
        blocks.append(
            Figure(
                partial(parameter_figure, ds, look.inputs),
                "updated inputs per cycle",
                "Each updated input after every cycle: the analysis mean (line) inside "
                "its central 90 % (band), the prior's central 90 % in grey"
                + (", the truth dashed." if "truth_parameters" in ds else "."),
            )
        )
    spinup = int(ds.attrs.get("spinup", 0))
    blocks.append(
        Figure(
            partial(error_figure, ds),
            "RMSE and spread per cycle",
            f"Root-mean-square error of the analysis mean against the {against} and the "
            f"analysis ensemble's spread, per cycle; after the spin-up ({spinup} cycles, "
            f"shaded) they average {number(ds.attrs.get('rmse_mean'))} and "
            f"{number(ds.attrs.get('spread_mean'))}. A spread well below the RMSE says "
            f"the ensemble is overconfident.",
        )
    )
    blocks.append(
        Figure(
            partial(innovation_figure, ds),
            "normalised innovations",
            "The normalised innovations of every observation (histogram) against the "
            "standard normal density they follow when the filter is consistent.",
        )
    )
    blocks.append(innovation_table(ds))
    return Section(
        "assimilation",
        "Data assimilation",
        f"The ensemble was kept in step with {number(ds.sizes['obs'])} observations over "
        f"{number(ds.sizes['cycle'])} cycles ({ds.attrs.get('method', '?')}, "
        f"{number(ds.sizes['member'])} members, inflation "
        f"{number(ds.attrs.get('inflation', 1.0))}): how its predictions met the "
        f"observations, how the updated inputs narrowed, and whether its spread is honest.",
        blocks,
    )
