"""The hidden truth and the observations of the Lorenz-96 twin (studies/lorenz96_twin.yaml).

A seeded truth run in the setting of Sakov & Oke (2008): 40 variables, F = 8, every
variable observed every 0.05 time units with unit error variance. The truth starts on
the attractor (20 time units from a perturbed rest state); the twin's background (the
mean of its initial ensemble) is the truth's start plus an error of standard deviation
0.3, printed for the study's ``assimilate.state.initial.mean``.

Run: ``python studies/data/lorenz96_truth.py [CYCLES]`` (from the repository root)
writes ``studies/data/lorenz96_obs.csv`` and ``studies/data/lorenz96_truth.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from uqscale.testfunctions import lorenz96_advance

SEED = 2008
VARIABLES, FORCING, INTERVAL, ERROR_SD, BACKGROUND_SD = 40, 8.0, 0.05, 1.0, 0.3


def main(cycles: int = 200) -> None:
    rng = np.random.default_rng(SEED)
    truth = lorenz96_advance(FORCING + rng.standard_normal(VARIABLES), 20.0, INTERVAL, FORCING)
    background = truth + BACKGROUND_SD * rng.standard_normal(VARIABLES)
    observed = ["time,quantity,coordinate,value,error_sd"]
    true = ["time,coordinate,value"]
    for cycle in range(1, cycles + 1):
        truth = lorenz96_advance(truth, INTERVAL, INTERVAL, FORCING)
        values = truth + ERROR_SD * rng.standard_normal(VARIABLES)
        time = round(cycle * INTERVAL, 10)
        observed += [f"{time!r},x,{i},{v:.6f},{ERROR_SD!r}" for i, v in enumerate(values)]
        true += [f"{time!r},{i},{v:.6f}" for i, v in enumerate(truth)]
    folder = Path(__file__).resolve().parent
    (folder / "lorenz96_obs.csv").write_text("\n".join(observed) + "\n")
    (folder / "lorenz96_truth.csv").write_text("\n".join(true) + "\n")
    print("initial.mean:", [round(float(v), 4) for v in background])


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
