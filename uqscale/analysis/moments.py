"""Moments and quantiles of every output, from draws of the joint distribution."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.analysis.method import (
    RULES,
    Lazy,
    Method,
    Options,
    SectionSpec,
    integer,
    one_of,
    option,
    probabilities,
)

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.space import InputSpace

DEFAULT_N = 1000


@dataclass(frozen=True)
class MomentsOptions(Options):
    """``method: moments``."""

    n: int | None = option(integer(2))
    """Samples of its own; without, it reuses the largest i.i.d. block of another
    analysis (or draws :data:`DEFAULT_N`)."""
    rule: str = option(one_of(*RULES), "sobol")
    quantiles: tuple[float, ...] = option(probabilities, (0.05, 0.25, 0.5, 0.75, 0.95))


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` points (default 1000) by the option's ``rule``.

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
    from uqscale.sampling import unit_sample

    n = options.get("n") or DEFAULT_N
    return space.to_physical(unit_sample(options["rule"], n, space.dimension, rng))


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """Mean, standard deviation, variance and quantiles; failed samples are dropped.

    Variables: ``mean``, ``std``, ``variance``, ``quantile`` (dim ``q``), and
    ``n_used`` and ``n_failed``.

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
    import xarray as xr

    from uqscale.analysis.common import AnalysisError, output_values

    quantiles = np.asarray(options["quantiles"])
    analyses = {}
    for out in output_values(results):
        ok = out.finite_rows()
        if ok.sum() < 2:
            raise AnalysisError(f"moments: output '{out.name}' has fewer than 2 finite samples")
        parts = [_statistics(block[ok], quantiles) for block in out.chunks()]
        mean, std, q = (np.concatenate(p, axis=-1) for p in zip(*parts, strict=True))
        analyses[out.name] = xr.Dataset(
            {
                "mean": out.labelled((), mean),
                "std": out.labelled((), std),
                "variance": out.labelled((), std**2),
                "quantile": out.labelled(("q",), q, {"q": quantiles}),
            },
            attrs={"n_used": int(ok.sum()), "n_failed": int((~ok).sum())},
        )
    return analyses


def _statistics(
    values: np.ndarray, quantiles: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard deviation and quantiles of the columns of ``values``."""
    import numpy as np

    return (values.mean(axis=0), values.std(axis=0, ddof=1), np.quantile(values, quantiles, axis=0))


def _footprint(options: Options, inputs: int) -> tuple[int, int, str]:
    from uqscale.study.budget import design_bytes

    rows = options["n"] or DEFAULT_N
    return rows, design_bytes(rows, inputs), "n"


METHOD = Method(
    name="moments",
    options=MomentsOptions,
    sampling=("n", "rule"),
    sample=sample,
    analyze=analyze,
    reuses=lambda options: not options["n"],
    dependent_inputs=True,
    footprint=_footprint,
    takes_any_iid=lambda options: True,
    sections=(
        SectionSpec(
            10, "moments", "Moments and quantiles", Lazy("uqscale.report.moments:moments_section")
        ),
    ),
)
"""Its rows are not lent to other analyses (only draws of the other methods are)."""
