"""The study object model and its file form."""

from uqscale.study.files import load_study, save_study, study_to_yaml
from uqscale.study.model import (
    Analysis,
    Execution,
    ModelStep,
    Output,
    OutputSpec,
    Study,
    UncertainInput,
)

__all__ = [
    "Analysis",
    "Execution",
    "ModelStep",
    "Output",
    "OutputSpec",
    "Study",
    "UncertainInput",
    "load_study",
    "save_study",
    "study_to_yaml",
]
