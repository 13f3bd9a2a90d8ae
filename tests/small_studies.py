"""A study folder with small per-sample models that succeed, fail, warn or break
alike, for tests of what a run says and how it ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODELS = """
import time
import warnings

import numpy as np


def works(x1, x2, delay=0.0):
    time.sleep(delay)
    return {"y": x1 + x2, "z": x1 * x2}


def never(x1, x2, delay=0.0):
    time.sleep(delay)
    raise RuntimeError("solver diverged at step 3")


def nan_z(x1, x2):
    return {"y": x1 + x2, "z": float("nan")}


def overflows(x1, x2):
    return {"y": x1 + 0 * min(float(np.exp(1000.0 + x1)), 1.0), "z": x2}


def lazy_helper(x1, x2):
    import smallhelper_uq     # imported in the function, from the study folder
    return {"y": smallhelper_uq.twice(x1) + x2, "z": x2}
"""

HELPER = """
def twice(x):
    return 2 * x
"""


def write_study(
    folder: Path,
    function: str = "works",
    n: int = 32,
    *,
    analysis: list | None = None,
    parameters: dict | None = None,
    execution: dict | None = None,
) -> Path:
    """Write ``smallmodels_uq.py`` and ``study.yaml`` (two uniform inputs, outputs
    y and z, one per-sample step calling ``function``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smallmodels_uq.py").write_text(MODELS)
    (folder / "smallhelper_uq.py").write_text(HELPER)
    step = {
        "name": "m",
        "python": f"smallmodels_uq:{function}",
        "inputs": ["x1", "x2"],
        "outputs": ["y", "z"],
    }
    if parameters:
        step["parameters"] = parameters
    study = {
        "study": "small",
        "seed": 5,
        "inputs": {
            "x1": {"distribution": "uniform", "low": 0, "high": 1},
            "x2": {"distribution": "uniform", "low": 0, "high": 1},
        },
        "models": [step],
        "analysis": analysis or [{"method": "moments", "n": n}],
        "execution": {"workers": 2, **(execution or {})},
    }
    path = folder / "study.yaml"
    path.write_text(json.dumps(study))  # JSON is YAML
    return path


def uqscale(*args, cwd: Path | None = None, timeout: float = 300):
    """Run the ``uqscale`` command in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "uqscale.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def on(client) -> tuple[str, ...]:
    """Command-line options that run on the test session's Dask cluster."""
    return ("--cluster", "address", "--address", client.scheduler.address)
