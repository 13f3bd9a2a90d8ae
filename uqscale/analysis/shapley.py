"""``method: shapley``, declared: Shapley effects, the variance share each input is
owed, meaningful for dependent inputs (a ``correlation:`` block). The estimator is in
:mod:`uqscale.analysis.shapley_estimator`.

In ``indices.json``: ``Sh`` and ``Sh_conf`` (a mapping from input to value, a list per
input for a field output), ``variance``, and ``groups`` with each scale group's effect
(the sum of its members') as ``groups.Sh`` and ``groups.Sh_conf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.analysis.method import (
    Lazy,
    Method,
    Options,
    SectionSpec,
    integer,
    option,
    probability,
)

if TYPE_CHECKING:
    import xarray as xr


@dataclass(frozen=True)
class ShapleyOptions(Options):
    """``method: shapley``: the permutation estimator of Song, Nelson & Staum (2016).
    Its design has ``n_var + permutations (d - 1) outer inner`` rows."""

    permutations: int = option(integer(2), 500)
    """Orderings of the inputs; all ``d!`` in turn when they fit, else random ones."""
    n_var: int = option(integer(2), 1000)
    """Draws of the joint distribution for the output's variance."""
    outer: int = option(integer(1), 1)
    """Draws of the fixed inputs per ordering and prefix (1 is optimal, Song et al.)."""
    inner: int = option(integer(2), 3)
    """Draws of the varied inputs given the fixed ones (3 is recommended)."""
    conf_level: float = option(probability, 0.95)
    """Confidence level of ``Sh_conf`` (from the Monte Carlo error of the costs; asymptotic)."""


def entry(dataset: xr.Dataset) -> dict[str, Any]:
    """One output's Shapley effects in ``indices.json``: ``Sh``, ``Sh_conf``,
    ``variance``, and by scale group under ``groups``."""
    from uqscale.analysis.dims import GROUP, INPUT
    from uqscale.analysis.entries import method_entry, plain

    found = method_entry(dataset)
    for key in ("Sh", "Sh_conf"):
        found[key] = {str(i): plain(dataset[key].sel({INPUT: i})) for i in dataset[INPUT].values}
    found["groups"] = {
        key: {
            str(g): plain(dataset[f"{key.replace('Sh', 'Sh_group')}"].sel({GROUP: g}))
            for g in dataset[GROUP].values
        }
        for key in ("Sh", "Sh_conf")
    }
    return found


def _footprint(options: Options, inputs: int) -> tuple[int, int, str]:
    from uqscale.study.budget import design_bytes

    rows = options["n_var"] + (
        options["permutations"] * (inputs - 1) * options["outer"] * options["inner"]
    )
    return rows, design_bytes(rows, inputs), "permutations"


METHOD = Method(
    name="shapley",
    options=ShapleyOptions,
    sampling=("permutations", "n_var", "outer", "inner"),
    sample=Lazy("uqscale.analysis.shapley_estimator:sample"),
    analyze=Lazy("uqscale.analysis.shapley_estimator:analyze"),
    summary=("Sh",),
    entry=entry,
    dependent_inputs=True,
    footprint=_footprint,
    sections=(
        SectionSpec(
            25, "shapley", "Shapley effects", Lazy("uqscale.report.shapleys:shapley_section")
        ),
    ),
)
"""Only its first ``n_var`` rows are draws of the joint distribution: none are lent."""
