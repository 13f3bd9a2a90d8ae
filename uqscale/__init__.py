"""uqscale: uncertainty quantification of multi-scale models on Dask.

The Python API mirrors the study file: build a :class:`Study` (or load one with
:func:`load_study`) and call :func:`run`.
"""

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

__version__ = "0.1.0"

__all__ = ["Analysis", "Execution", "ModelStep", "Output", "OutputSpec", "Study",
           "StudyError", "UncertainInput", "UqscaleError", "load_study", "run", "save_study"]


def __getattr__(name: str):
    if name == "run":
        from uqscale.api import run

        return run
    raise AttributeError(f"module 'uqscale' has no attribute {name!r}")
