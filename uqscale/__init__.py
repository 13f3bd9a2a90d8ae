"""uqscale: uncertainty quantification of multi-scale models on Dask.

The Python API mirrors the study file: build a :class:`Study` (or load one with
:func:`load_study`) and call :func:`run`.
"""

from importlib.metadata import PackageNotFoundError, version

from uqscale.errors import StudyError, UqscaleError
from uqscale.study import (
    Analysis,
    Beta,
    Binomial,
    Categorical,
    DiscreteUniform,
    Execution,
    Gamma,
    LogNormal,
    LogUniform,
    ModelStep,
    Normal,
    Output,
    OutputSpec,
    Poisson,
    ResultsFile,
    Study,
    Triangular,
    UncertainInput,
    Uniform,
    load_study,
    save_study,
)

try:
    __version__ = version("uqscale")
    """The installed distribution's version (pyproject.toml is its one source)."""
except PackageNotFoundError:  # the source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "Analysis",
    "Beta",
    "Binomial",
    "Categorical",
    "DiscreteUniform",
    "Execution",
    "Gamma",
    "LogNormal",
    "LogUniform",
    "ModelStep",
    "Normal",
    "Output",
    "OutputSpec",
    "Poisson",
    "ResultsFile",
    "Run",
    "RunOptions",
    "Study",
    "StudyError",
    "Triangular",
    "UncertainInput",
    "Uniform",
    "UqscaleError",
    "analyze",
    "api",
    "load_study",
    "open_run",
    "resume",
    "run",
    "save_study",
]

_LAZY = {
    "run": "uqscale.runs",
    "open_run": "uqscale.runs",
    "Run": "uqscale.runs",
    "resume": "uqscale.runs",
    "analyze": "uqscale.runs",
    "RunOptions": "uqscale.api",
}
"""Names whose modules import Dask and xarray: loaded when first used."""


def __getattr__(name: str) -> object:
    import importlib

    if name == "api":
        return importlib.import_module("uqscale.api")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'uqscale' has no attribute {name!r}")
