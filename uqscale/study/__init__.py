"""The study object model and its file form."""

from uqscale.study.assimilate import Assimilate, Observed  # h20a (issue 20.1)
from uqscale.study.files import load_study, save_study, study_to_yaml
from uqscale.study.model import (
    Analysis,
    Execution,
    ModelStep,
    Output,
    OutputSpec,
    ResultsFile,
    Study,
    UncertainInput,
)
from uqscale.study.shorthand import (
    Beta,
    Binomial,
    Categorical,
    DiscreteUniform,
    Gamma,
    LogNormal,
    LogUniform,
    Normal,
    Poisson,
    Triangular,
    Uniform,
)

__all__ = [
    "Analysis",
    "Assimilate",
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
    "Observed",
    "Output",
    "OutputSpec",
    "Poisson",
    "ResultsFile",
    "Study",
    "Triangular",
    "UncertainInput",
    "Uniform",
    "load_study",
    "save_study",
    "study_to_yaml",
]
