"""The dimension names of analysis results, in one place.

An analysis' variables carry the dims below before the output's own field dims (time,
space, ...); every other dim of a result is a field dim.
"""

from __future__ import annotations

from typing import Any

SAMPLE = "sample"
"""Rows of the design and of the results."""
INPUT = "input"
"""Uncertain inputs (per-input indices)."""
INPUT_B = "input_b"
"""The second input of a pair (second-order indices)."""
GROUP = "group"
"""Scale groups of inputs."""
QUANTILE = "q"
"""Probabilities of quantiles."""
RUNS = "runs"
"""Number of runs of a fit on a prefix of the design (convergence)."""
FACTOR = "factor"
"""Inputs and the grid spacing as factors of one model (grey zone)."""
RESOLUTION = "resolution"
"""Grid spacings of a resolution sweep."""
TERM = "pce_term"
"""Terms of a stored polynomial chaos expansion (:mod:`uqscale.surrogate`)."""

ANALYSIS_DIMS = (INPUT, INPUT_B, GROUP, QUANTILE, RUNS, FACTOR, TERM)
"""Dims an analysis adds to an output's field."""
NON_FIELD_DIMS = (*ANALYSIS_DIMS, RESOLUTION)
"""Every dim of a result that is not the output's own."""
RESERVED = (SAMPLE, *NON_FIELD_DIMS, "quantile")
"""Names inputs, outputs and field dims cannot take: uqscale's own dims (and the
``quantile`` variable of the moments)."""


def field_dims(array: Any) -> list[str]:
    """The output's own field dims among those of ``array`` (a DataArray or Dataset).

    Examples
    --------
    >>> import xarray as xr
    >>> field_dims(xr.DataArray([[0.1, 0.2]], dims=("input", "time")))
    ['time']
    """
    return [str(d) for d in array.dims if d not in NON_FIELD_DIMS]
