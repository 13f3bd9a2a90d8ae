"""A toy method, ``method: range``: the lowest and highest value of every output over
``n`` draws of the inputs. It is the worked example of CONTRIBUTING.md, exactly: one
module, registered by one line, and nothing else in uqscale changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.analysis.method import RULES, Method, Options, SectionSpec, integer, one_of, option

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.report.blocks import Section
    from uqscale.space import InputSpace


@dataclass(frozen=True)
class RangeOptions(Options):
    """``method: range``."""

    n: int = option(integer(2), 256)
    rule: str = option(one_of(*RULES), "sobol")


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of the inputs by ``rule``."""
    from uqscale.sampling import unit_sample

    return space.to_physical(unit_sample(options["rule"], options["n"], space.dimension, rng))


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """``low`` and ``high`` of every output over its finite samples."""
    import xarray as xr

    from uqscale.analysis.common import AnalysisError, output_values

    found = {}
    for out in output_values(results):
        ok = out.finite_rows()
        if not ok.any():
            raise AnalysisError(f"range: output '{out.name}' has no finite sample")
        values = out.values[ok]
        found[out.name] = xr.Dataset(
            {
                "low": out.labelled((), values.min(axis=0)),
                "high": out.labelled((), values.max(axis=0)),
            },
            attrs={"n_used": int(ok.sum()), "n_failed": int((~ok).sum())},
        )
    return found


def entry(dataset: xr.Dataset) -> dict[str, Any]:
    """``{"low": x, "high": y, "n_used": n, "n_failed": f}`` in indices.json."""
    from uqscale.analysis.entries import plain

    return {
        "low": plain(dataset["low"]),
        "high": plain(dataset["high"]),
        **{k: dataset.attrs[k] for k in ("n_used", "n_failed")},
    }


def section(data: Any, look: Any, found: list[tuple[str, str, xr.Dataset]]) -> Section | None:
    """A table of the ranges of the scalar outputs."""
    from uqscale.report.blocks import Section, Table, number

    rows = [
        [output, number(float(ds["low"])), number(float(ds["high"]))]
        for _, output, ds in found
        if ds["low"].ndim == 0
    ]
    if not rows:
        return None
    return Section(
        "range",
        "Ranges",
        "The lowest and highest value each output took.",
        [Table(["output", "low", "high"], rows, numeric=(1, 2))],
    )


METHOD = Method(
    name="range",
    options=RangeOptions,
    sampling=("n", "rule"),
    sample=sample,
    analyze=analyze,
    iid=lambda options: True,
    entry=entry,
    sections=(SectionSpec(15, "range", "Ranges", section),),
)
