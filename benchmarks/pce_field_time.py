"""Time to fit a sparse adaptive PCE to a field output of 1,000 points from 200 runs.

The field is the travelling front of ``field_indices.py`` (4 inputs). ``order: auto``
fits the field's principal components (at most one per run), each with its own
degree and terms, and maps them back to the points. Timed: the fit alone, with the
bootstrap intervals (100 resamples), and with the convergence view too (the study
defaults). Goal: seconds, not minutes. Wall and CPU time are printed: on a
shared machine the CPU time is the steadier figure.

Run: ``python benchmarks/pce_field_time.py [--points 1000] [--samples 200]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import xarray as xr

from uqscale.analysis import pce
from uqscale.space import InputSpace
from uqscale.study import Study

VARIANTS = {
    "fit only (bootstrap: 0, convergence: false)": {"bootstrap": 0, "convergence": False},
    "with bootstrap: 100": {"convergence": False},
    "study defaults (bootstrap: 100, convergence: true)": {},
}


def front(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A front whose position and width depend on the four inputs, ``(n, points)``."""
    position = 0.3 + 0.4 * x[:, :1] * x[:, 1:2] + 0.1 * x[:, 2:3]
    return np.tanh((grid[None, :] - position) / (0.05 + 0.05 * x[:, 3:4]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    arguments = parser.parse_args()
    study = Study.from_dict(
        {
            "study": "field",
            "seed": 5,
            "inputs": {
                f"x{i}": {
                    "distribution": "uniform",
                    "low": 0,
                    "high": 1,
                    "scale": "micro" if i < 3 else "macro",
                }
                for i in range(1, 5)
            },
            "models": [
                {
                    "name": "m",
                    "python": "m:f",
                    "inputs": ["x1", "x2", "x3", "x4"],
                    "outputs": [{"name": "u", "dims": ["x"]}],
                }
            ],
            "analysis": [{"method": "pce", "order": "auto", "n": arguments.samples}],
        }
    )
    space = InputSpace(study.inputs)
    base = study.analysis[0].options
    x = pce.sample(space, base, np.random.default_rng(5))
    grid = np.linspace(0, 1, arguments.points)
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    results = xr.Dataset({"u": (("sample", "x"), front(x, grid))}, coords={"x": grid})
    print(
        f"field of {arguments.points} points, {arguments.samples} runs, 4 inputs, "
        f"order: auto (omp, degree by corrected leave-one-out):"
    )
    for label, change in VARIANTS.items():
        began, cpu = time.perf_counter(), time.process_time()
        fitted = pce.analyze(space, {**base, **change}, design, results, np.random.default_rng(1))[
            "u"
        ]
        print(
            f"  {label}: {time.perf_counter() - began:.2f} s wall, "
            f"{time.process_time() - cpu:.2f} s CPU"
        )
    print(
        f"  degree {fitted.attrs['order']}, {fitted.attrs['terms']} terms of "
        f"{fitted.attrs['candidates']}; median cv_error "
        f"{float(fitted['cv_error'].median()):.3g}, median S1_conf "
        f"{float(fitted['S1_conf'].median()):.3g}"
    )


if __name__ == "__main__":
    main()
