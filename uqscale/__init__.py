"""uqscale: uncertainty quantification of multi-scale models on Dask.

The Python API mirrors the study file: build a :class:`Study` (or load one with
:func:`load_study`) and call :func:`run`.
"""

from importlib.metadata import PackageNotFoundError, version

from uqscale.errors import StudyError, UqscaleError
from uqscale.study import (
    Analysis,
    Execution,
    ModelStep,
    Output,
    OutputSpec,
    Study,
    UncertainInput,
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
    "Execution",
    "ModelStep",
    "Output",
    "OutputSpec",
    "Study",
    "StudyError",
    "UncertainInput",
    "UqscaleError",
    "load_study",
    "run",
    "save_study",
]


def __getattr__(name: str):
    if name == "run":
        from uqscale.api import run

        return run
    raise AttributeError(f"module 'uqscale' has no attribute {name!r}")
