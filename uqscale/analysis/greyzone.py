"""Grey-zone measures: how much the grid spacing moves an output, next to the
physical uncertainties.

With the ensemble run at spacings ``dx_1 < ... < dx_R`` on the same design
(paired samples), for every output point:

``mean(dx)``, ``std(dx)``, ``S1(dx)``, ``ST(dx)``
    the moments and Sobol indices of the physical inputs at each spacing, from the
    study's first variance-based analysis (``pce`` or ``sobol``);
resolution sensitivity ``RS(dx) = |d mean / d ln dx| / std(dx)``
    the change of the mean per unit of log spacing, in units of the parametric
    spread at that spacing (derivative by second-order finite differences on the
    log-spacing grid, one-sided at the ends); ``RS > 1``: resolution moves the
    answer more than the physical uncertainty does;
the Sobol index of the resolution itself
    treating ``dx`` as a factor spread log-uniformly over the sweep (uniform over
    the sweep's log-spaced values), independent of the physical inputs
    ``x``, with ``Y(x, dx)`` and ``V = Var(Y)`` over both:
    ``S1_dx = Var_dx(E_x[Y | dx]) / V``, ``ST_dx = E_x[Var_dx(Y | x)] / V``; and for
    each physical input ``S1_j = Var(E[Y | x_j]) / V`` (from the analysis of
    ``E_dx[Y | x]``) and ``ST_j = E_dx[ST_j(dx) V(dx)] / V``;
observed order ``p = ln((f3 - f2) / (f2 - f1)) / ln r``
    from three successive spacings with ratio ``r`` (Richardson), ``f = mean``,
    reported at the middle spacing; it *matches the formal order* where
    ``|p - p_formal| <= 0.2 p_formal``;
grey zone
    the range of spacings (and of ``dx / process scale``) where ``RS`` exceeds the
    threshold (default 1), or none. For a field output, ``RS`` is taken at the
    point where it is largest;
trust
    the measures are only as good as the analysis they read: when that analysis
    marks its estimates unreliable (a PCE whose honest error exceeds its
    ``max_error``), ``source_reliable`` carries its verdict per spacing and point,
    and the entry says the measures are not reliable, naming the spacings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from uqscale.analysis.common import AnalysisError
from uqscale.analysis.method import Lazy, Method, Options, SectionSpec
from uqscale.analysis.registry import METHODS
from uqscale.space import InputSpace
from uqscale.study.model import Study

if TYPE_CHECKING:
    from uqscale.study.model import Analysis

ORDER_MATCH = 0.2
LABEL = "greyzone"


def process_scale(study: Study) -> float | None:
    """The size of the physical process: the median of the named input, or the value
    of the named model parameter."""
    assert study.resolution is not None  # the method runs only with a resolution sweep
    name = study.resolution.process_scale
    if name is None:
        return None
    if name in study.input_names:
        space = InputSpace.of(study)
        return float(space.marginals[space.names.index(name)].inv(0.5))
    return next(float(step.parameters[name]) for step in study.models if name in step.parameters)


def analyze(
    study: Study,
    design: xr.Dataset,
    results: xr.Dataset,
    analyses: Mapping[str, Mapping[str, xr.Dataset]],
    rows: Mapping[str, tuple[int, int]],
    rng_for: Callable[[Analysis], np.random.Generator],
) -> dict[str, xr.Dataset]:
    """Grey-zone measures of every output (see the module docstring).

    Parameters
    ----------
    study
        The study, with its resolution sweep.
    design, results
        The whole design and outputs (every spacing).
    analyses
        Every analysis at every spacing (dim ``resolution``).
    rows
        Rows of each analysis in the first copy of the design.
    rng_for
        ``rng_for(analysis)``: the analysis' random stream.

    Returns
    -------
    dict
        ``{output: Dataset}`` of the grey-zone measures.

    Raises
    ------
    AnalysisError
        Without a variance-based analysis that succeeded.
    """
    source = next(
        (a for a in study.analysis if METHODS[a.method].indices and a.label in analyses), None
    )
    if source is None:
        sources = " or ".join(f"'{m.name}'" for m in METHODS.values() if m.indices)
        raise AnalysisError(f"greyzone: needs a {sources} analysis that succeeded")
    assert study.resolution is not None  # the method runs only with a resolution sweep
    spacings = np.asarray(study.resolution.spacings())
    scale = process_scale(study)
    start, stop = rows[source.label]
    size = design.sizes["sample"] // len(spacings)
    found = {}
    for output, at_dx in analyses[source.label].items():
        per_dx = np.stack(
            [
                results[output].values[k * size + start : k * size + stop]
                for k in range(len(spacings))
            ]
        )  # (R, n, *field)
        found[output] = _measures(
            study,
            source,
            at_dx,
            per_dx,
            spacings,
            scale,
            design,
            results,
            output,
            (start, stop),
            rng_for(source),
        )
    return found


def _measures(
    study: Study,
    source: Analysis,
    at_dx: xr.Dataset,
    per_dx: np.ndarray,
    spacings: np.ndarray,
    scale: float | None,
    design: xr.Dataset,
    results: xr.Dataset,
    output: str,
    rows: tuple[int, int],
    rng: np.random.Generator,
) -> xr.Dataset:
    resolution = study.resolution
    assert resolution is not None  # the method runs only with a resolution sweep
    mean = at_dx["mean"]
    std = np.sqrt(at_dx["variance"])
    log_dx = np.log(spacings)
    slope = xr.apply_ufunc(
        lambda m: np.gradient(m, log_dx, axis=-1),
        mean,
        input_core_dims=[["resolution"]],
        output_core_dims=[["resolution"]],
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # xarray leaves xr.where unannotated
        flat = xr.where(abs(slope) > 0, np.inf, 0.0)  # type: ignore[no-untyped-call]
        sensitivity = xr.where(std > 0, abs(slope) / std, flat)  # type: ignore[no-untyped-call]
    order = _observed_order(mean, spacings)
    combined = _combined_indices(study, source, at_dx, per_dx, design, results, output, rows, rng)
    data = xr.Dataset(
        {
            "mean": mean,
            "std": std,
            "S1": at_dx["S1"],
            "ST": at_dx["ST"],
            "sensitivity": sensitivity.transpose("resolution", ...),
            "observed_order": order,
            "S1_with_resolution": combined["S1"],
            "ST_with_resolution": combined["ST"],
        }
    )
    worst = (
        sensitivity.max([d for d in sensitivity.dims if d != "resolution"])
        if sensitivity.ndim > 1
        else sensitivity
    )
    flagged = spacings[np.asarray(worst > resolution.threshold)]
    if "reliable" in at_dx:
        data["source_reliable"] = at_dx["reliable"].transpose("resolution", ...)
        data.attrs["reliability"] = _inherited_reliability(
            source.label, data["source_reliable"], spacings
        )
    data.attrs.update(
        {
            "source": source.label,
            "threshold": resolution.threshold,
            "grey_zone": [float(flagged.min()), float(flagged.max())] if flagged.size else [],
            "process_scale": scale if scale is not None else np.nan,
        }
    )
    if scale is not None:
        data = data.assign_coords(dx_over_scale=("resolution", spacings / scale))
    if resolution.formal_order is not None:
        matches = abs(order - resolution.formal_order) <= ORDER_MATCH * resolution.formal_order
        worst_match = (
            matches.all([d for d in matches.dims if d != "resolution"])
            if matches.ndim > 1
            else matches
        )
        good = spacings[np.asarray(worst_match)]
        data.attrs["formal_order"] = resolution.formal_order
        data.attrs["asymptotic_range"] = [float(good.min()), float(good.max())] if good.size else []
    return data


def _inherited_reliability(label: str, reliable: xr.DataArray, spacings: np.ndarray) -> str:
    """Empty when every estimate of the source analysis is reliable, else one sentence
    naming the spacings where it is not."""
    others = [d for d in reliable.dims if d != "resolution"]
    per_dx = np.asarray(reliable.all(others) if others else reliable, dtype=bool)
    if per_dx.all():
        return ""
    bad = ", ".join(f"{dx:g}" for dx in spacings[~per_dx])
    return (
        f"the {label} analysis it reads is unreliable at dx = {bad} "
        f"({int((~per_dx).sum())} of {per_dx.size} spacings; see its honest error)"
    )


def _observed_order(mean: xr.DataArray, spacings: np.ndarray) -> xr.DataArray:
    """Richardson's observed order from each triple of successive spacings, at the
    middle spacing (NaN at the ends)."""
    values = mean.transpose("resolution", ...).values
    order = np.full(values.shape, np.nan)
    for k in range(1, len(spacings) - 1):
        ratio = np.sqrt(spacings[k + 1] / spacings[k - 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            order[k] = np.log(
                np.abs((values[k + 1] - values[k]) / (values[k] - values[k - 1]))
            ) / np.log(ratio)
    return mean.transpose("resolution", ...).copy(data=order)


def _combined_indices(
    study: Study,
    source: Analysis,
    at_dx: xr.Dataset,
    per_dx: np.ndarray,
    design: xr.Dataset,
    results: xr.Dataset,
    output: str,
    rows: tuple[int, int],
    rng: np.random.Generator,
) -> dict[str, xr.DataArray]:
    """Indices of the physical inputs and of the spacing as factors of one model."""
    flat = per_dx.reshape(per_dx.shape[0], per_dx.shape[1], -1)  # (R, n, P)
    total = flat.reshape(-1, flat.shape[2]).var(axis=0)
    by_dx = flat.mean(axis=1).var(axis=0)
    within = flat.var(axis=0).mean(axis=0)
    averaged = results[[output]].isel(sample=slice(*rows)).copy(data={output: per_dx.mean(axis=0)})
    space = InputSpace.of(study)
    of_mean = METHODS[source.method].analyze(
        space, source.options, design.isel(sample=slice(*rows)), averaged, rng
    )[output]
    field_shape = per_dx.shape[2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, 1 / total, 0.0)
        s1_inputs = of_mean["S1"].values.reshape(len(space.names), -1) * (
            flat.mean(axis=0).var(axis=0) * share
        )
        weighted = (at_dx["ST"] * at_dx["variance"]).transpose("resolution", "input", ...)
        st_inputs = weighted.values.reshape(weighted.shape[0], len(space.names), -1).mean(0) * share
    factors = [*space.names, "resolution"]
    s1 = np.vstack([s1_inputs, (by_dx * share)[None]])
    st = np.vstack([st_inputs, (within * share)[None]])
    template = at_dx["mean"].isel(resolution=0, drop=True)

    def label(values: np.ndarray) -> xr.DataArray:
        return xr.DataArray(
            values.reshape((len(factors), *field_shape)),
            dims=("factor", *template.dims),
            coords={"factor": factors, **template.coords},
        )

    return {"S1": label(s1), "ST": label(st)}


def greyzone_entry(data: xr.Dataset) -> dict[str, Any]:
    """The ``"greyzone"`` entry of indices.json for one output."""
    from uqscale.analysis.entries import plain

    entry: dict[str, Any] = {
        "dx": [float(v) for v in data["resolution"].values],
        "mean": plain(data["mean"]),
        "std": plain(data["std"]),
        "S1": {str(i): plain(data["S1"].sel(input=i)) for i in data["input"].values},
        "ST": {str(i): plain(data["ST"].sel(input=i)) for i in data["input"].values},
        "sensitivity": plain(data["sensitivity"]),
        "observed_order": plain(data["observed_order"]),
        "with_resolution": {
            key: {
                str(f): plain(data[f"{key}_with_resolution"].sel(factor=f))
                for f in data["factor"].values
            }
            for key in ("S1", "ST")
        },
        "threshold": data.attrs["threshold"],
        "grey_zone": {"dx": data.attrs["grey_zone"] or None},
    }
    if "dx_over_scale" in data.coords:
        scale = data.attrs["process_scale"]
        entry["dx_over_scale"] = [float(v) for v in data["dx_over_scale"].values]
        entry["grey_zone"]["dx_over_scale"] = [v / scale for v in data.attrs["grey_zone"]] or None
    if "formal_order" in data.attrs:
        entry["formal_order"] = data.attrs["formal_order"]
        entry["asymptotic_range"] = {"dx": data.attrs["asymptotic_range"] or None}
    if "source_reliable" in data:
        entry["reliable"] = not data.attrs["reliability"]
        if data.attrs["reliability"]:
            entry["reliability"] = data.attrs["reliability"]
    return entry


METHOD = Method(
    name=LABEL,
    options=Options,
    sampling=(),
    sample=None,
    analyze=analyze,
    entry=greyzone_entry,
    sections=(
        SectionSpec(60, "greyzone", "Grey zone", Lazy("uqscale.report.quality:greyzone_section")),
    ),
)
"""Added by uqscale after the other analyses of a resolution sweep (not in studies)."""
