"""What a batch of samples leaves behind: its outputs and the samples that failed.

Shared by the models (which produce them, on the workers), the runner (which gathers
them) and the store (which writes them to ``parts/`` and ``failures.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Failure:
    """One failed sample: where, why, the end of the traceback, and the sample's
    values of the design's variables (``inputs``: each uncertain input, and a swept
    parameter), so that the failing point can be rerun or studied by hand."""

    sample: int
    step: str
    error: str
    message: str
    traceback: str = ""
    attempts: int = 1
    inputs: Mapping[str, float] = field(default_factory=dict)


@dataclass
class BatchResult:
    """Outputs of samples ``start .. stop - 1`` (NaN where failed) and their failures."""

    start: int
    stop: int
    outputs: dict[str, np.ndarray]
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    retried: int = 0
