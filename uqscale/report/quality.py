"""The report's sections on the quality of the expansion, Morris screening and the
grey zone (results against the grid spacing)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from uqscale.report import fieldplots, plots
from uqscale.report.blocks import (
    Badge,
    Block,
    Cell,
    Figure,
    Heading,
    Note,
    Section,
    Table,
    number,
)
from uqscale.report.data import RunData, field_dims
from uqscale.report.look import Found, Look, top_note, view

GOOD_LOO, FAIR_LOO = 1e-2, 1e-1
RESOLUTION_COLOUR = "#8C6D31"
CONVERGENCE_SHOWN = 3
"""Convergence figures shown at most (for the expansions that fit worst)."""


def loo_badge(loo: float) -> Badge:
    """A verdict on a leave-one-out error.

    Examples
    --------
    >>> loo_badge(0.003).text, loo_badge(0.5).text
    ('good', 'poor: raise order or runs')
    """
    if not np.isfinite(loo):
        return Badge("not computed", "neutral")
    if loo < GOOD_LOO:
        return Badge("good", "good")
    if loo < FAIR_LOO:
        return Badge("fair", "warn")
    return Badge("poor: raise order or runs", "bad")


def pce_section(data: RunData, look: Look, found: Found) -> Section | None:
    """Leave-one-out error of every expansion (``found``) and, when fitted to growing
    numbers of runs (dim ``runs``), the indices' convergence.

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
    rows: list[list[Cell]] = []
    blocks: list[Block] = []
    converging = _worst_converging(found)
    for label, output, ds in found:
        final = view(ds)[0]
        dims = field_dims(final)
        loo = final.get("loo_error")
        if dims and loo is not None:
            value = float(loo.max())
            blocks.append(
                Figure(
                    partial(
                        fieldplots.field_curves,
                        [(f"{output} ({label})", loo)],
                        dims[0],
                        "leave-one-out error",
                    ),
                    f"leave-one-out error of {output} along {dims[0]}",
                    f"Leave-one-out error of the {label} expansion of {output} at each point "
                    f"along {dims[0]}: below {GOOD_LOO:g} its indices can be trusted; above "
                    f"{FAIR_LOO:g} raise the order or the number of runs.",
                )
            )
        else:
            value = float(loo) if loo is not None else float("nan")
        cv = float(final["cv_error"].max()) if "cv_error" in final else float("nan")
        # The verdict follows the honest error (cross-validated), where there is one.
        rows.append(
            [
                output + (" (worst point)" if dims else ""),
                label,
                number(ds.attrs.get("order")),
                number(ds.attrs.get("terms")),
                number(ds.attrs.get("n_used")),
                number(value),
                number(cv),
                loo_badge(cv if np.isfinite(cv) else value),
            ]
        )
        if (label, output) in converging:
            runs = view(ds, keep_runs=True)[0]
            blocks.append(
                Figure(
                    partial(plots.convergence, runs, look.inputs),
                    f"convergence of {output}",
                    f"Indices of {output} from expansions fitted to the first runs only: curves "
                    f"that have flattened out say the number of runs suffices. Shaded: confidence "
                    f"interval where estimated.",
                )
            )
    others = sum(1 for _, _, ds in found if _converges(ds)) - len(converging)
    if others > 0:
        blocks.append(
            Note(
                f"The convergence of the other {others} expansions is in "
                f"analyses.nc (variables *_by_runs)."
            )
        )
    head = ["output", "analysis", "order", "terms", "runs", "LOO error", "CV error", "verdict"]
    if all(row[6] == "–" for row in rows):  # no expansion chose its terms by validation
        head, rows = head[:6] + head[7:], [row[:6] + row[7:] for row in rows]
    table = Table(
        head,
        rows,
        f"Leave-one-out (LOO) error: the error of the expansion "
        f"predicting a run it was not fitted to, relative to the output's "
        f"variance (below {GOOD_LOO:g}: good; above {FAIR_LOO:g}: poor). "
        f"CV error: the honest error, by cross-validation of the whole "
        f"fit (the selection repeated in every fold), which the verdict "
        f"follows; above {FAIR_LOO:g} the expansion is marked "
        f"unreliable. Quadrature expansions have neither.",
        numeric=(2, 3, 4, 5, 6),
    )
    return Section(
        "pce",
        "Polynomial chaos quality",
        "Indices from an expansion are only as good as its fit.",
        [table, *blocks],
    )


def _converges(ds: xr.Dataset) -> bool:
    """Whether an expansion was also fitted to growing numbers of runs (scalar output)."""
    runs = view(ds, keep_runs=True)[0]
    return (
        "runs" in runs.dims and "ST" in plots.convergence_keys(runs) and not field_dims(view(ds)[0])
    )


def _worst_converging(found: list[tuple[str, str, xr.Dataset]]) -> set[tuple[str, str]]:
    """The :data:`CONVERGENCE_SHOWN` expansions with a convergence view whose final fit
    error is largest (those whose convergence matters most)."""

    def error(ds: xr.Dataset) -> float:
        final = view(ds)[0]
        values = [float(final[k].max()) for k in ("cv_error", "loo_error") if k in final]
        return -np.nanmax(values) if values and np.isfinite(values).any() else 0.0

    candidates = sorted(
        ((label, output, ds) for label, output, ds in found if _converges(ds)),
        key=lambda item: error(item[2]),
    )
    return {(label, output) for label, output, _ in candidates[:CONVERGENCE_SHOWN]}


def morris_section(data: RunData, look: Look, found: Found) -> Section | None:
    """The ``mu*``-``sigma`` plane of every scalar output (``mu*`` curves for fields)
    of the Morris analyses ``found``.

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
    blocks: list[Any] = list(top_note(data))
    for label, output, ds in found:
        ds, note = view(ds)
        dims = field_dims(ds)
        if dims:
            names = [str(n) for n in ds["input"].values]
            peak = ds["mu_star"].max([d for d in ds["mu_star"].dims if d != "input"]).values
            shown = np.argsort(-np.nan_to_num(peak, nan=-1.0))[: fieldplots.LINES]
            curves = [(names[k], ds["mu_star"].isel(input=k)) for k in shown]
            blocks.append(
                Figure(
                    partial(fieldplots.field_curves, curves, dims[0], "μ*", look.inputs),
                    f"Morris mu* of {output} along {dims[0]}",
                    f"Morris μ* of {output} along {dims[0]} for the {len(curves)} inputs with the "
                    f"largest μ* anywhere ({label}). {note}",
                )
            )
            continue
        blocks.append(
            Figure(
                partial(plots.morris_scatter, ds, look.inputs, look.groups, look.scale_of),
                f"Morris screening of {output}",
                f"Morris screening of {output} ({label}, "
                f"{number(ds.attrs.get('n_used'))} runs): μ* "
                f"(further right: more influential) against σ (higher: the effect depends on "
                f"where the other inputs are, i.e. nonlinear or interacting). Points near the "
                f"σ/μ* = 0.1 ray act almost linearly and alone. Whiskers: confidence interval of "
                f"μ*. Effects are per step of each input's quantile grid, so inputs compare on "
                f"the probability scale of their distributions. {note}",
            )
        )
        names = [str(n) for n in ds["input"].values]
        order = np.argsort(-np.nan_to_num(ds["mu_star"].values, nan=-1.0))
        blocks.append(
            Table(
                ["input", "μ*", "μ* ±", "μ", "σ"],
                [
                    [
                        names[k],
                        *(
                            number(float(ds[key][k])) if key in ds else "–"
                            for key in ("mu_star", "mu_star_conf", "mu", "sigma")
                        ),
                    ]
                    for k in order
                ],
                numeric=(1, 2, 3, 4),
                collapsed=f"Numbers: Morris measures of {output} for every input",
            )
        )
    return Section(
        "morris",
        "Morris screening",
        "Elementary effects: a cheap ranking of the inputs, and a hint of nonlinearity.",
        blocks,
    )


def worst_point(ds: xr.Dataset) -> tuple[xr.Dataset, str]:
    """A grey-zone dataset at the field point where the resolution sensitivity is
    largest (unchanged for a scalar output), and a phrase naming the point."""
    dims = field_dims(ds)
    if not dims or "sensitivity" not in ds:
        return ds, ""
    peak = ds["sensitivity"].max("resolution").fillna(-np.inf)
    index = np.unravel_index(int(np.argmax(peak.values)), peak.shape)
    at = dict(zip(peak.dims, index, strict=True))
    point = ds.isel(at)
    named = ", ".join(
        f"{d} = {number(point[d].item()) if d in point.coords else i}" for d, i in at.items()
    )
    return point, f" at {named}, where the resolution sensitivity is largest"


def greyzone_section(data: RunData, look: Look, found: Found) -> Section | None:
    """Results against the grid spacing with the grey zone shaded, and indices with the
    spacing as a factor (see :mod:`uqscale.report.fieldplots` for the expected shape).

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
    found = [
        (label, output, ds)
        for label, output, ds in found
        if "resolution" in ds.dims and "mean" in ds
    ]
    if not found:
        return None
    blocks: list[Any] = []
    for _, output, ds in found:
        ds, where = worst_point(ds)
        blocks.append(Heading(output))
        if ds.attrs.get("reliability"):
            blocks.append(
                Note(
                    f"The grey-zone measures of {output} are NOT RELIABLE: "
                    f"{ds.attrs['reliability']}.",
                    "warn",
                )
            )
        zone = list(np.atleast_1d(ds.attrs.get("grey_zone", [])))
        threshold = ds.attrs.get("threshold", 1.0)
        if len(zone) == 2:
            blocks.append(
                Note(
                    f"Grey zone of {output}: spacings {number(zone[0])} to "
                    f"{number(zone[1])}, where the resolution moves the mean by more "
                    f"than {number(threshold)} standard deviation per unit of "
                    f"ln dx.",
                    "warn",
                )
            )
        else:
            blocks.append(
                Note(
                    f"No spacing of the sweep is in the grey zone of {output} "
                    f"(resolution sensitivity below {number(threshold)}).",
                    "good",
                )
            )
        blocks.append(
            Figure(
                partial(fieldplots.greyzone_curves, ds, look.inputs),
                f"grey zone of {output}",
                f"{output} against the grid spacing{where}: its mean and ±1 standard deviation "
                f"over the uncertain inputs (left), the total indices of the inputs at each "
                f"spacing (middle) and the resolution sensitivity |d mean / d ln dx| / std "
                f"(right; above the dashed threshold, the spacing moves the answer more than the "
                f"physical uncertainty does). Shaded: the grey zone. The top axis, when shown, "
                f"of the right panel gives dx over the process scale.",
            )
        )
        factors = _with_resolution(ds)
        if factors is not None:
            colours = dict(look.inputs) | {"resolution": RESOLUTION_COLOUR}
            blocks.append(
                Figure(
                    partial(
                        plots.index_bars_image, [("with resolution as a factor", factors)], colours
                    ),
                    f"indices of {output} with resolution",
                    f"Sobol indices of {output} with the grid spacing as one more uncertain factor "
                    f"(brown; spread log-uniformly over the sweep): how the numerical choice "
                    f"ranks against the physical inputs.",
                )
            )
        if "formal_order" in ds.attrs:
            span = list(np.atleast_1d(ds.attrs.get("asymptotic_range", [])))
            blocks.append(
                Note(
                    f"Formal order {number(ds.attrs['formal_order'])}: "
                    + (
                        f"the observed order matches it for spacings {number(span[0])} to "
                        f"{number(span[1])} (the asymptotic range)."
                        if len(span) == 2
                        else "the observed order matches it nowhere in the sweep."
                    ),
                    "info" if len(span) == 2 else "warn",
                )
            )
    return Section(
        "greyzone",
        "Grey zone",
        "How the numerical resolution moves the results, next to the physical uncertainties.",
        blocks,
    )


def _with_resolution(ds: xr.Dataset) -> xr.Dataset | None:
    if "ST_with_resolution" not in ds or "factor" not in ds.dims:
        return None
    renamed = {f"{k}_with_resolution": k for k in ("S1", "ST") if f"{k}_with_resolution" in ds}
    picked = ds[list(renamed)].rename(renamed).rename({"factor": "input"})
    return picked if not field_dims(picked) else None
