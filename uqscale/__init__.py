"""uqscale: uncertainty quantification of multi-scale models on Dask.

The Python API mirrors the study file: build a :class:`Study` (or load one with
:func:`load_study`) and call :func:`run`.
"""

from importlib.metadata import PackageNotFoundError, version

from uqscale import study
from uqscale.errors import StudyError, UqscaleError
from uqscale.study import *  # noqa: F403  (the study object model: every name of study.__all__)

try:
    __version__ = version("uqscale")
    """The installed distribution's version (pyproject.toml is its one source)."""
except PackageNotFoundError:  # the source tree, not installed
    __version__ = "0+unknown"

_LAZY = {
    "run": "uqscale.runs",
    "open_run": "uqscale.runs",
    "Run": "uqscale.runs",
    "resume": "uqscale.runs",
    "analyze": "uqscale.runs",
    "RunOptions": "uqscale.api",
}
"""Names whose modules import Dask and xarray: loaded when first used."""


__all__ = ["StudyError", "UqscaleError", "api", *_LAZY]  # noqa: F405 (api: __getattr__)
__all__ += study.__all__  # one list of study names, uqscale.study's: the two cannot drift


def __getattr__(name: str) -> object:
    import importlib

    if name == "api":
        return importlib.import_module("uqscale.api")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'uqscale' has no attribute {name!r}")
