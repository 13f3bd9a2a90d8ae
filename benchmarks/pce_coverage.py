"""How often the bootstrap intervals of PCE indices cover the exact values.

The model ``exp(a . x)``, ``a = (1, 0.6, 0.3)``, ``x ~ U(0, 1)^3`` has closed-form
indices (a product of one-input factors). Each repetition draws a new design, fits,
bootstraps (200 resamples) and checks ``|S - S_exact| <= S_conf`` for S1 and ST of
every input; the fraction covered should be near the nominal level.

Run: ``python benchmarks/pce_coverage.py [--repetitions 100]``
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import xarray as xr
from common import ROOT

from uqscale.analysis import pce
from uqscale.space import InputSpace
from uqscale.study import Study

sys.path.insert(0, str(ROOT))
from tests.analysis.test_pce_bootstrap import A, exact_indices  # the test's model

CASES = {
    "order 2, ols, 60 random runs": {"order": 2, "n": 60, "rule": "random"},
    "order auto, omp, 40 random runs": {"order": "auto", "n": 40, "rule": "random"},
    "order auto, omp, 40 Sobol' runs": {"order": "auto", "n": 40, "rule": "sobol"},
}


def coverage(options: dict, level: float, repetitions: int) -> tuple[float, float]:
    """Fraction of covered indices, and the median half-width of S1."""
    study = Study.from_dict(
        {
            "study": "exp",
            "inputs": {
                f"x{i}": {"distribution": "uniform", "low": 0, "high": 1} for i in (1, 2, 3)
            },
            "models": [
                {"name": "f", "python": "m:f", "inputs": ["x1", "x2", "x3"], "outputs": ["y"]}
            ],
            "analysis": [
                {
                    "method": "pce",
                    "bootstrap": 200,
                    "conf_level": level,
                    "convergence": False,
                    **options,
                }
            ],
        }
    )
    space, filled = InputSpace(study.inputs), study.analysis[0].options
    s1, st = exact_indices(A)
    covered, widths = [], []
    for seed in range(repetitions):
        rng = np.random.default_rng(10_000 + seed)
        x = pce.sample(space, filled, rng)
        design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
        found = pce.analyze(
            space, filled, design, xr.Dataset({"y": ("sample", np.exp(x @ A))}), rng
        )["y"]
        covered.append(
            [
                np.abs(found["S1"].values - s1) <= found["S1_conf"].values,
                np.abs(found["ST"].values - st) <= found["ST_conf"].values,
            ]
        )
        widths.append(found["S1_conf"].values)
    return float(np.mean(covered)), float(np.median(widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=100)
    arguments = parser.parse_args()
    print(
        f"bootstrap coverage of S1 and ST of exp(a . x), {arguments.repetitions} "
        f"repetitions, 200 resamples"
    )
    for label, options in CASES.items():
        for level in (0.9, 0.95):
            rate, width = coverage(options, level, arguments.repetitions)
            print(
                f"  {label}: nominal {level:.2f}, covered {rate:.3f} "
                f"(median S1 half-width {width:.4f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
