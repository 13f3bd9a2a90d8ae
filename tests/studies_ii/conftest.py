"""Loading the study library's model modules without putting ``studies/`` on the path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

STUDIES = Path(__file__).resolve().parents[2] / "studies"


def study_module(name: str) -> ModuleType:
    """``studies/models/NAME.py`` as a module of its own (``studies_ii_NAME``)."""
    key = f"studies_ii_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, STUDIES / "models" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
