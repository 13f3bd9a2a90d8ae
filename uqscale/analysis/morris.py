"""Morris elementary effects (SALib): screening many inputs with few runs.

Trajectories move on SALib's grid of ``levels`` points in ``[0, 1]``; each grid
value ``u`` is mapped to the quantile ``(u (levels - 1) + 0.5) / levels`` of the
input, the midpoints of ``levels`` equal-probability bins, so that inputs with
unbounded distributions get finite values. Effects are per unit of that grid:
``mu_star`` compares inputs on the probability scale of their distributions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from uqscale.analysis.method import (
    DROP_BIAS,
    Lazy,
    Method,
    Options,
    SectionSpec,
    failures_option,
    integer,
    option,
    probability,
)

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.analysis.common import OutputValues
    from uqscale.space import InputSpace


@dataclass(frozen=True)
class MorrisOptions(Options):
    """``method: morris``."""

    trajectories: int = option(integer(2), 10)
    """One-at-a-time trajectories, ``d + 1`` rows each."""
    levels: int = option(integer(2), 4)
    """Points of the grid each input moves on (the quantiles of equal-probability bins)."""
    resamples: int = option(integer(10), 100)
    """Bootstrap resamples of the elementary effects behind ``mu_star_conf``."""
    conf_level: float = option(probability, 0.95)
    """Confidence level of ``mu_star_conf``."""
    failures: str = failures_option()
    """``fail`` (an output with a failed sample is not estimated) or ``drop`` (estimate
    on the trajectories without a failed row)."""


def _problem(space: InputSpace) -> dict[str, Any]:
    return {
        "num_vars": space.dimension,
        "names": list(space.names),
        "bounds": [[0.0, 1.0]] * space.dimension,
    }


def grid(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """SALib's trajectories on the unit grid, ``trajectories (d + 1)`` rows.

    Parameters
    ----------
    space
        The uncertain inputs.
    options
        The method's options.
    rng
        The design block's random stream.

    Returns
    -------
    numpy.ndarray
        The design, ``(rows, inputs)`` on the unit grid.
    """
    from SALib.sample import morris

    from uqscale.sampling import seed_int

    return cast(
        "np.ndarray",
        morris.sample(
            _problem(space),
            options["trajectories"],
            num_levels=options["levels"],
            seed=seed_int(rng),
        ),
    )


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """The trajectories mapped to the inputs' distributions (bin midpoints).

    Parameters
    ----------
    space
        The uncertain inputs.
    options
        The method's options.
    rng
        The design block's random stream.

    Returns
    -------
    numpy.ndarray
        The design, ``(rows, inputs)`` in the inputs' physical units.
    """
    levels = options["levels"]
    unit = grid(space, options, rng)
    return space.to_physical((unit * (levels - 1) + 0.5) / levels)


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """``mu``, ``mu_star``, ``sigma`` and ``mu_star_conf`` per input, for all points of
    an output at once (the estimators of SALib's ``morris.analyze``, vectorised over
    field points; equal to it point by point).

    ``rng`` must be the design block's own stream: the trajectories are drawn again
    from it, as the analysis needs them on SALib's grid. Each output is estimated from
    its own samples: one with failed samples is not estimated (the others are), unless
    ``failures: drop``, which drops each trajectory with a failed row (attrs
    ``n_dropped`` and ``warning``).

    Parameters
    ----------
    space
        The uncertain inputs.
    options
        The method's options.
    design, results
        The block's rows of the design and of the outputs (dim ``sample``).
    rng
        The design block's random stream.

    Returns
    -------
    dict
        ``{output: Dataset}``.
    """
    import numpy as np
    from scipy.stats import norm

    from uqscale.analysis.common import incomplete, output_values, per_output

    unit = grid(space, options, rng)
    d = space.dimension
    steps = unit.reshape(-1, d + 1, d)  # (trajectories, d + 1, d)
    moves = np.diff(steps, axis=1)  # (trajectories, d, d)
    moved = np.abs(moves).argmax(axis=2)  # input changed at each step
    size = np.take_along_axis(moves, moved[..., None], axis=2)[..., 0]
    order = np.argsort(moved, axis=1)  # steps sorted by input
    resampled = rng.integers(len(steps), size=(options["resamples"], len(steps)))
    z = float(norm.ppf(0.5 + options["conf_level"] / 2))

    def estimate(out: OutputValues) -> xr.Dataset | str:
        values = out.values.reshape(len(steps), d + 1, -1)
        message = incomplete(out, "morris", droppable=True)
        if not message:
            return _dataset(space, out, values, size, order, resampled, z, {})
        if options["failures"] != "drop":
            return message
        keep = np.isfinite(values).all(axis=(1, 2))
        if keep.sum() < 2:
            return f"output '{out.name}' has fewer than 2 trajectories without failures"
        kept = int(keep.sum())
        return _dataset(
            space,
            out,
            values[keep],
            size[keep],
            order[keep],
            rng.integers(kept, size=(options["resamples"], kept)),
            z,
            {"n_dropped": len(steps) - kept, "warning": DROP_BIAS},
        )

    return per_output("morris", ((out.name, estimate(out)) for out in output_values(results)))


def _dataset(
    space: InputSpace,
    out: OutputValues,
    values: np.ndarray,
    size: np.ndarray,
    order: np.ndarray,
    resampled: np.ndarray,
    z: float,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """The measures of one output from its trajectories ``values`` ``(T, d + 1, P)``,
    with each step's ``size`` and the ``order`` that sorts steps by input."""
    import numpy as np
    import xarray as xr

    from uqscale.analysis.common import input_coords

    change = np.diff(values, axis=1)
    effects = change / size[..., None]  # (trajectories, d, P) by step
    effects = np.take_along_axis(effects, order[..., None], axis=1)  # by input
    found = {
        "mu": effects.mean(axis=0),
        "mu_star": np.abs(effects).mean(axis=0),
        "sigma": effects.std(axis=0, ddof=1),
        "mu_star_conf": z * np.abs(effects)[resampled].mean(axis=1).std(axis=0, ddof=1),
    }
    rows = values.shape[0] * values.shape[1]
    return xr.Dataset(
        {key: out.labelled(("input",), value, input_coords(space)) for key, value in found.items()},
        attrs={"n_used": rows, "n_failed": len(out.values) - rows, **attrs},
    )


def _footprint(options: Options, inputs: int) -> tuple[int, int, str]:
    from uqscale.study.budget import design_bytes

    rows = options["trajectories"] * (inputs + 1)
    return rows, design_bytes(rows, inputs), "trajectories"


METHOD = Method(
    name="morris",
    options=MorrisOptions,
    sampling=("trajectories", "levels"),
    sample=sample,
    analyze=analyze,
    summary=("mu_star", "sigma"),
    footprint=_footprint,
    # An elementary effect is a difference quotient along the input's range: a
    # categorical has no order, and a discrete input maps neighbouring levels to the
    # same value (a zero effect that reads as "no influence"); sobol and shapley do not.
    continuous_only=True,
    sections=(
        SectionSpec(
            50, "morris", "Morris screening", Lazy("uqscale.report.quality:morris_section")
        ),
    ),
)
