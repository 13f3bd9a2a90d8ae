"""Sobol' indices by Saltelli sampling and SALib's estimators, with bootstrap
confidence intervals, per input and per scale group.

Group indices need matrices ``AB_G`` (``A`` with the columns of group ``G`` taken
from ``B``). Groups of one input already have theirs (``AB_i``); for each group of
several inputs the design gets ``n`` extra rows built from the same ``A`` and ``B``,
so SALib's grouped estimator sees exactly the design it would have drawn itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from uqscale.analysis.method import (
    DROP_BIAS,
    REQUIRED,
    Method,
    Options,
    boolean,
    failures_option,
    integer,
    option,
    probability,
)
from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.analysis.common import OutputValues
    from uqscale.space import InputSpace


@dataclass(frozen=True)
class SobolOptions(Options):
    """``method: sobol``."""

    n: int = option(integer(2), REQUIRED)
    """Base samples, a power of 2."""
    second_order: bool = option(boolean, False)
    """Also estimate the second-order indices ``S2`` (``2 d + 2`` rows per base sample)."""
    resamples: int = option(integer(10), 100)
    """Bootstrap resamples of the base samples behind the ``*_conf`` half-widths."""
    conf_level: float = option(probability, 0.95)
    """Confidence level of the ``*_conf`` half-widths."""
    failures: str = failures_option()
    """``fail`` (an output with a failed sample is not estimated) or ``drop`` (estimate
    on the base samples without a failed row)."""

    def check(self, path: str) -> None:
        if self.n & (self.n - 1):
            raise StudyError(
                fields.join(path, "n"), f"must be a power of 2 for Saltelli sampling (got {self.n})"
            )


def _problem(space: InputSpace, grouped: bool = False) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "num_vars": space.dimension,
        "names": list(space.names),
        "bounds": [[0.0, 1.0]] * space.dimension,
    }
    if grouped:
        problem["groups"] = [i.scale or "unscaled" for i in space.inputs]
    return problem


def _shared_groups(space: InputSpace) -> list[list[int]]:
    """Column indices of every group holding more than one input (when there are
    several groups: one group alone explains everything)."""
    if len(space.groups) < 2:
        return []
    return [
        [space.names.index(n) for n in members]
        for members in space.groups.values()
        if len(members) > 1
    ]


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Saltelli's design, ``n (d + 2)`` rows (``n (2 d + 2)`` with second order), drawn
    in the unit cube by SALib, then ``n`` rows per group of several inputs.

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
    import numpy as np
    from SALib.sample import sobol as saltelli

    from uqscale.sampling import seed_int

    unit = saltelli.sample(
        _problem(space), options["n"], calc_second_order=options["second_order"], seed=seed_int(rng)
    )
    blocks = unit.reshape(options["n"], -1, space.dimension)
    extra = []
    for columns in _shared_groups(space):
        ab = blocks[:, 0].copy()
        ab[:, columns] = blocks[:, -1, columns]
        extra.append(ab)
    unit = np.concatenate([unit, *extra]) if extra else unit
    tiny = np.finfo(float).eps
    return space.to_physical(np.clip(unit, tiny, 1.0 - tiny))


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """SALib's first-order (Saltelli 2010), total (Jansen) and second-order estimators,
    applied to all points of an output at once (field outputs are not looped over).

    Variables: ``S1``, ``ST``, ``S1_conf``, ``ST_conf`` (dim ``input``), optionally
    ``S2`` and ``S2_conf`` (``input``, ``input_b``), by scale group ``S1_group``,
    ``ST_group``, ``S1_group_conf``, ``ST_group_conf`` (dim ``group``), and ``mean``
    and ``variance`` of the rows. Confidence half-widths come from bootstrap over base
    samples, as in SALib.

    Each output is estimated from its own samples: the estimators pair rows, so an
    output with failed samples is not estimated (the others are), unless ``failures:
    drop``, which drops every row of each base sample with a failed row (attrs
    ``n_dropped`` and ``warning``: dropping biases the estimate when failures depend
    on the inputs).

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

    n = options["n"]
    steps = 2 * space.dimension + 2 if options["second_order"] else space.dimension + 2
    resampled = rng.integers(n, size=(n, options["resamples"]))
    z = float(norm.ppf(0.5 + options["conf_level"] / 2))

    def estimate(out: OutputValues) -> xr.Dataset | str:
        message = incomplete(out, "sobol", droppable=True)
        if not message:
            return _dataset(space, options, out, out.values, n, resampled, z, {})
        if options["failures"] != "drop":
            return message
        keep = _complete_bases(out.finite_rows(), n, steps)
        if keep.sum() < 2:
            return f"output '{out.name}' has fewer than 2 base samples without failures"
        rows = _base_rows(n, steps, len(out.values))[keep].ravel()
        kept = int(keep.sum())
        return _dataset(
            space,
            options,
            out,
            out.values[np.sort(rows)],
            kept,
            rng.integers(kept, size=(kept, options["resamples"])),
            z,
            {"n_dropped": n - kept, "warning": DROP_BIAS},
        )

    return per_output("sobol", ((out.name, estimate(out)) for out in output_values(results)))


def _base_rows(n: int, steps: int, rows: int) -> np.ndarray:
    """The rows of each base sample, ``(n, rows per base)``: its ``steps`` rows of the
    Saltelli design, then its row in each block of group rows."""
    import numpy as np

    own = np.arange(n * steps).reshape(n, steps)
    extra = np.arange(n * steps, rows).reshape(-1, n).T
    return np.hstack([own, extra])


def _complete_bases(finite: np.ndarray, n: int, steps: int) -> np.ndarray:
    """Which base samples have every row finite."""
    return cast("np.ndarray", finite[_base_rows(n, steps, len(finite))].all(axis=1))


def _dataset(
    space: InputSpace,
    options: Mapping[str, Any],
    out: OutputValues,
    values: np.ndarray,
    n: int,
    resampled: np.ndarray,
    z: float,
    attrs: dict[str, Any],
) -> xr.Dataset:
    """The indices of one output from ``values``, ``n`` complete base samples in the
    design's row order."""
    import numpy as np
    import xarray as xr

    from uqscale.analysis.common import input_coords
    from uqscale.analysis.saltelli_bootstrap import estimates

    d = space.dimension
    steps = 2 * d + 2 if options["second_order"] else d + 2
    coords = input_coords(space) | {"group": list(space.groups)}
    main = values[: n * steps]
    # SALib centres and scales the output before estimating; so do we, per point.
    scale = main.std(axis=0)
    normal = (values - main.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    blocks = normal[: n * steps].reshape(n, steps, -1)
    found = estimates(
        blocks[:, 0],
        blocks[:, 1 : d + 1],
        blocks[:, -1],
        blocks[:, d + 1 : 2 * d + 1] if options["second_order"] else None,
        resampled,
        z,
    )
    grouped = _grouped_blocks(space, normal, n, steps)
    if grouped is None:  # a single group explains all the variance
        ones = np.ones((1, normal.shape[1]))
        found |= {
            "S1_group": ones,
            "ST_group": ones,
            "S1_group_conf": 0 * ones,
            "ST_group_conf": 0 * ones,
        }
    else:
        a, ab, b = grouped
        found |= {
            k.replace("S1", "S1_group").replace("ST", "ST_group"): v
            for k, v in estimates(a, ab, b, None, resampled, z).items()
        }
    variables = {key: out.labelled(_dims(key), value, coords) for key, value in found.items()}
    variables["mean"] = out.labelled((), main.mean(axis=0))
    variables["variance"] = out.labelled((), main.var(axis=0, ddof=1))
    return xr.Dataset(
        variables,
        attrs={"n_used": len(values), "n_failed": len(out.values) - len(values), "n": n, **attrs},
    )


def _dims(key: str) -> tuple[str, ...]:
    if key.startswith("S2"):
        return ("input", "input_b")
    return ("group",) if "group" in key else ("input",)


def _grouped_blocks(
    space: InputSpace, values: np.ndarray, n: int, steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``A``, ``AB_G`` per group (``(n, groups, P)``) and ``B``, or None when there
    is a single group."""
    import numpy as np

    if len(space.groups) < 2:
        return None
    blocks = values[: n * steps].reshape(n, steps, -1)
    extra = iter(values[n * steps :].reshape(-1, n, values.shape[1]))
    ab = [
        blocks[:, 1 + space.names.index(members[0])] if len(members) == 1 else next(extra)
        for members in space.groups.values()
    ]
    return blocks[:, 0], np.stack(ab, axis=1), blocks[:, -1]


def _footprint(options: Options, inputs: int) -> tuple[int, int, str]:
    from uqscale.study.budget import design_bytes

    rows = options["n"] * (2 * inputs + 2 if options["second_order"] else inputs + 2)
    return rows, design_bytes(rows, inputs), "n"


METHOD = Method(
    name="sobol",
    options=SobolOptions,
    sampling=("n", "second_order"),
    sample=sample,
    analyze=analyze,
    iid=lambda options: True,
    indices=True,
    summary=("S1", "ST"),
    footprint=_footprint,
)
"""Every row of a Saltelli design is a draw from the joint distribution."""
