"""The library's Lorenz-96 twin (studies/lorenz96_twin.yaml) through the engine, next to
the same filter as a bare NumPy loop on the same observations and initial ensemble.

A: ``uqscale.api.run`` of the study (each cycle a stored run folder on 2 Dask workers,
its step called per member). B: the bare loop: the ensemble advanced at once, the same
ETKF, nothing stored. Run B, A, B (A takes minutes); the engine's RMSE and spread must be
the bare loop's (the same arithmetic), and the seconds per cycle give the engine's cost.

Run: ``python benchmarks/assimilation_lorenz96_twin.py [CYCLES]`` (from the repository
root; default: the study's 200 cycles, spin-up 20: ``... 60 10`` for 60 cycles, spin-up 10)
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.assimilation.test_state_lorenz96 import bare_loop, copy_study  # noqa: E402
from uqscale import api  # noqa: E402
from uqscale.study import load_study  # noqa: E402


def engine(study_file: Path, out: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """RMSE and spread per cycle of ``uqscale.api.run``, and its seconds."""
    began = time.perf_counter()
    result = api.run(load_study(study_file), out, options=api.RunOptions(progress=False))
    seconds = time.perf_counter() - began
    cycles = result.indices["assimilation"]["cycles"]
    return (
        np.array([c["rmse"] for c in cycles]),
        np.array([c["spread"] for c in cycles]),
        seconds,
    )


def timed(function: Any, *args: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """``function(*args)``'s RMSE and spread, and its seconds."""
    began = time.perf_counter()
    rmse, spread = function(*args)
    return rmse, spread, time.perf_counter() - began


def main(cycles: int = 200, spinup: int = 20) -> None:
    logging.getLogger("uqscale").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        study_file = copy_study(Path(scratch) / "studies", cycles, spinup)
        bare = [timed(bare_loop, study_file)]
        ran = engine(study_file, Path(scratch) / "run")
        bare.append(timed(bare_loop, study_file))
    after = slice(spinup, None)
    print(f"Lorenz-96 twin, {cycles} cycles, averages after {spinup} (published ETKF: 0.18)")
    print(f"{'':8s} {'RMSE':>6s} {'spread':>7s} {'ratio':>6s} {'s total':>8s} {'s/cycle':>8s}")
    for name, (rmse, spread, seconds) in [("engine", ran), ("bare", min(bare, key=lambda b: b[2]))]:
        r, s = rmse[after].mean(), spread[after].mean()
        print(f"{name:8s} {r:6.3f} {s:7.3f} {s / r:6.3f} {seconds:8.1f} {seconds / cycles:8.4f}")
    gap = np.max(np.abs(ran[0] - bare[0][0]))
    print(f"largest difference of the per-cycle RMSE, engine - bare: {gap:.2e}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
