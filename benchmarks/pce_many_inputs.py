"""Time and peak memory of ``order: auto`` with many inputs.

Each case runs in a fresh interpreter (so ``ru_maxrss`` is its own peak) on a
G-function of ``d`` inputs, ``a = (0, 1, 4.5, 9, 99, ...)`` (four important inputs,
the rest nearly inert), with the default options (100 bootstrap resamples and the
convergence view) and with both off (the fit alone). Reported: wall seconds of the
analysis, peak resident memory of the process, degree, terms, candidate terms and
the honest error. CPU seconds (of the process) are printed beside wall seconds: on a
shared machine they are the better measure of the work done. (The former code built
a full total-degree list of degree 10: 5.6 GB at 15 inputs, a memory error at 20; it
is not run here, on a shared machine.)

Run: ``nice -n 10 python benchmarks/pce_many_inputs.py [--fit-only]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from common import ROOT

CASES = ((20, 400), (50, 1000))
CODE = """
import json, resource, sys, time
import numpy as np, xarray as xr
from uqscale.analysis import pce
from uqscale.analysis.pce_benchmarks import uniform_inputs
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace
from uqscale.study import Study
from uqscale.study.methods import read_options
from uqscale.testfunctions import gfunction
d, n, extras = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
a = (0, 1, 4.5, 9) + (99,) * (d - 4)
inputs = uniform_inputs([(0.0, 1.0)] * d)
study = Study.from_dict({"study": "g", "inputs": inputs, "analysis": [{"method": "moments"}],
                         "models": [{"name": "f", "python": "m:f", "inputs": list(inputs),
                                     "outputs": ["y"]}]})
space = InputSpace(study.inputs)
x = unit_sample("sobol", n, d, np.random.default_rng(0))
y = gfunction(a, **{f"x{i + 1}": x[:, i] for i in range(d)})["y"]
options = read_options("pce", {"order": "auto", "n": n, "convergence": extras,
                               "bootstrap": 100 if extras else 0}, "analysis[0]")
design = xr.Dataset({name: ("sample", x[:, j]) for j, name in enumerate(space.names)})
began, cpu = time.perf_counter(), time.process_time()
found = pce.analyze(space, options, design, xr.Dataset({"y": ("sample", y)}),
                    np.random.default_rng(0))["y"]
seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "order": found.attrs["order"], "terms": found.attrs["terms"],
                  "candidates": found.attrs["candidates"],
                  "cv_error": float(found["cv_error"])}))
"""


def measure(d: int, n: int, extras: bool) -> dict:
    """One case in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", CODE, str(d), str(n), "1" if extras else "0"],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit-only", action="store_true", help="skip the default options")
    arguments = parser.parse_args()
    for d, n in CASES:
        for extras in (False,) if arguments.fit_only else (False, True):
            found = measure(d, n, extras)
            label = "defaults (bootstrap 100, convergence)" if extras else "fit only"
            print(
                f"{d} inputs, {n} runs, {label}: {found['seconds']:.1f} s wall, "
                f"{found['cpu']:.1f} s CPU, peak "
                f"{found['peak_mb']:.0f} MB; degree {found['order']}, {found['terms']} "
                f"terms of {found['candidates']}, honest error {found['cv_error']:.3g}",
                flush=True,
            )


if __name__ == "__main__":
    main()
