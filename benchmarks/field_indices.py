"""Time to compute indices for a field output of 1,000 points from 2,000 samples.

PCE (regression, order 4, 4 inputs: 70 terms) fitted to every point at once, with
first, total, second-order and group indices and the leave-one-out error; moments
for comparison. Goal: under 5 s for the PCE.

Run: ``python benchmarks/field_indices.py``
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

from uqscale.analysis import moments, pce
from uqscale.design import analysis_rng
from uqscale.space import InputSpace
from uqscale.study import Study

POINTS, SAMPLES = 1000, 2000


def main() -> None:
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
            "analysis": [
                {"method": "pce", "order": 4, "n": SAMPLES},
                {"method": "moments", "n": SAMPLES},
            ],
        }
    )
    space = InputSpace(study.inputs)
    options = study.analysis[0].options
    x = pce.sample(space, options, analysis_rng(study, study.analysis[0]))
    grid = np.linspace(0, 1, POINTS)
    # A travelling front whose position and width depend on the inputs.
    front = 0.3 + 0.4 * x[:, :1] * x[:, 1:2] + 0.1 * x[:, 2:3]
    u = np.tanh((grid[None, :] - front) / (0.05 + 0.05 * x[:, 3:4]))
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    results = xr.Dataset({"u": (("sample", "x"), u)}, coords={"x": grid})
    began = time.perf_counter()
    fitted = pce.analyze(space, options, design, results, None)["u"]
    fit_seconds = time.perf_counter() - began
    began = time.perf_counter()
    moments.analyze(space, study.analysis[1].options, design, results, None)
    moment_seconds = time.perf_counter() - began
    print(f"field of {POINTS} points, {SAMPLES} samples, 4 inputs:")
    print(
        f"  PCE order 4 ({fitted.attrs['terms']} terms), S1/ST/S2/groups/LOO: "
        f"{fit_seconds:.2f} s (goal < 5 s)"
    )
    print(f"  moments and quantiles: {moment_seconds:.3f} s")
    print(f"  median leave-one-out error: {float(fitted['loo_error'].median()):.3g}")


if __name__ == "__main__":
    main()
