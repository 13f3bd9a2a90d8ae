"""Helpers shared by the benchmark scripts (never run as tests)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_seconds(code: str) -> float:
    """Wall time of running ``code`` in a fresh interpreter."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - began


def command_seconds(args: list[str], cwd: Path = ROOT) -> float:
    """Wall time of a command, which must succeed (its output is discarded)."""
    began = time.perf_counter()
    subprocess.run(args, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def best_of(repeats: int, measure) -> float:
    """The smallest of ``repeats`` measurements (the least disturbed one)."""
    return min(measure() for _ in range(repeats))


def study_model(name: str):
    """``studies/models/NAME.py`` of the study library, loaded as a module of its own."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "studies" / "models" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def positional(defaults: tuple) -> list:
    """The script's positional arguments, each converted to its default's type, the
    defaults standing in for the missing ones."""
    given = sys.argv[1:]
    return [type(d)(given[i]) if i < len(given) else d for i, d in enumerate(defaults)]
