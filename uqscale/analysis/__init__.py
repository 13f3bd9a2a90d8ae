"""Analyses: one module per method, each with the same two functions.

``sample(space, options, rng) -> ndarray (n, d)``
    the design the method needs, in the inputs' physical units;
``analyze(space, options, design, results, rng) -> dict[str, xarray.Dataset]``
    the method's indices for every output, each a Dataset over ``input`` (and the
    output's own field dimensions).

``SAMPLING`` names the options the design depends on (the others change only the
estimates), and ``IID`` says whether the design's rows are draws from the joint distribution, so
that other methods (moments) may reuse them.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def method_module(method: str) -> ModuleType:
    """Return the module implementing ``method`` (a key of ``study.methods.METHODS``)."""
    return importlib.import_module(f"uqscale.analysis.{method}")
