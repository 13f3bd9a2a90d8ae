"""Test models that fail on purpose (fault injection)."""

import numpy as np


def vectorized(x1, x2):
    """y = x1 + x2; raises when any x1 exceeds 0.9 (so some samples fail)."""
    if np.any(np.asarray(x1) > 0.9):
        raise ValueError("x1 above 0.9")
    return {"y": np.asarray(x1) + np.asarray(x2)}


def per_sample(x1, x2):
    """y = x1 * x2 per sample; x1 > 0.8 raises, x1 < 0.1 returns NaN."""
    if x1 > 0.8:
        raise RuntimeError(f"solver diverged at x1={x1:.3f}")
    return {"y": float("nan") if x1 < 0.1 else x1 * x2}


def missing_output(x1, x2):
    """Breaks the contract: returns 'z' instead of the declared 'y'."""
    return {"z": np.asarray(x1)}


def hangs(x1, x2):
    """Sleeps for ever when x1 > 0.8, crashes the process when x1 < 0.1, else y = x1 + x2."""
    import os
    import signal
    import time

    if x1 > 0.8:
        time.sleep(3600)
    if x1 < 0.1:
        os.kill(os.getpid(), signal.SIGSEGV)
    return {"y": x1 + x2}


def fails_first_time(x1, x2, marks):
    """Raises on the first call for each sample (remembered in files under ``marks``)."""
    import pathlib

    mark = pathlib.Path(marks) / f"{x1!r}"
    if not mark.exists():
        mark.touch()
        raise OSError("transient: license server busy")
    return {"y": x1 * 2}


def one_output_fails(x1, x2):
    """``good = x1 + 2 x2`` always; ``bad`` the same but NaN where x1 > 0.9 (kept as
    NaN with ``execution.nonfinite: keep``, so only that output fails there)."""
    good = np.asarray(x1) + 2 * np.asarray(x2)
    return {"good": good, "bad": np.where(np.asarray(x1) > 0.9, np.nan, good)}
