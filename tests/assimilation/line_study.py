"""A study folder for assimilation tests: a straight line ``y(t) = a + b t`` observed
with noise (parameter estimation with a linear observation operator, whose exact
answer is Bayesian linear regression)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

TIMES = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
TRUTH = {"a": 1.5, "b": -0.7}
MODEL = """
import time

import numpy as np

TIMES = np.array(TIMES_LIST)


def line(a, b, delay=0.0):
    time.sleep(delay)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return {"y": a[..., None] + b[..., None] * TIMES}
""".replace("TIMES_LIST", repr(TIMES))


def observations(times: list[float], error_sd: float = 0.3, seed: int = 7) -> list[dict]:
    """Noisy observations of the true line at ``times``."""
    rng = np.random.default_rng(seed)
    return [
        {
            "time": t,
            "quantity": "height",
            "value": TRUTH["a"] + TRUTH["b"] * t + error_sd * rng.standard_normal(),
            "error_sd": error_sd,
        }
        for t in times
    ]


def write_line_study(
    folder: Path,
    rows: list[dict] | None = None,
    prior_a: dict | None = None,
    delay: float = 0.0,
    **block: object,
) -> Path:
    """Write ``linemodel_uq.py``, ``obs.csv`` and ``study.yaml`` into ``folder``;
    ``prior_a`` replaces the prior of ``a``, ``delay`` (s) is how long the model
    sleeps a batch, ``block`` keys of the ``assimilate:`` block."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "linemodel_uq.py").write_text(MODEL)
    rows = observations([1.0, 2.0, 3.0, 4.0]) if rows is None else rows
    lines = ["time,quantity,value,error_sd"]
    lines += [f"{r['time']!r},{r['quantity']},{r['value']!r},{r['error_sd']!r}" for r in rows]
    (folder / "obs.csv").write_text("\n".join(lines) + "\n")
    study = {
        "study": "line_twin",
        "seed": 11,
        "inputs": {
            "a": prior_a or {"distribution": "normal", "mean": 0.0, "std": 2.0},
            "b": {"distribution": "normal", "mean": 0.0, "std": 1.0},
        },
        "models": [
            {
                "name": "line",
                "python": "linemodel_uq:line",
                "inputs": ["a", "b"],
                "parameters": {"delay": delay},
                "outputs": [{"name": "y", "dims": ["time"], "coords": {"time": TIMES}}],
                "vectorized": True,
            }
        ],
        "execution": {"cluster": "local", "workers": 2},
        "output": {"report": False},
        "assimilate": {
            "observations": "obs.csv",
            "observe": {"height": "y"},
            "method": "etkf",
            "members": 12,
        }
        | block,
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path
