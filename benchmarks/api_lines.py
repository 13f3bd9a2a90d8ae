"""Issue 18's figures for the Python API: lines of code of the Ishigami task (first and
total Sobol' indices of three inputs, the model inline) in uqscale, SALib, chaospy and
OpenTURNS, each script run and its indices checked against the exact values; and the
time from ``import uqscale`` to the first indices in a notebook-style script.

Lines are the script's non-blank, non-comment lines, each at most 100 characters (the
tree's line length), as the scripts below are written. Every script runs in a fresh
process in a fresh folder; OpenTURNS runs with the interpreter named by
``OPENTURNS_PYTHON`` (default ``/work/venv-ot/bin/python``; it is not a uqscale
dependency) and is counted but not run when there is none. Times: the script's own
clock from its first line to its indices, median of ``--repeats`` runs, uqscale and
SALib interleaved (A, B, A, B).

Usage: ``python benchmarks/api_lines.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

EXACT = {"S1": (0.314, 0.442, 0.0), "ST": (0.558, 0.442, 0.244)}
TOLERANCE = 0.08

SCRIPTS = {
    "uqscale": """
import numpy as np, uqscale as uq
f = lambda x1, x2, x3: {"y": np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)}
U = uq.Uniform(-np.pi, np.pi)
study = uq.Study(name="ishigami", seed=1, inputs={"x1": U, "x2": U, "x3": U}, models=[
    uq.ModelStep("f", python=f, inputs=["x1", "x2", "x3"], outputs=["y"], vectorized=True)],
    analysis=[uq.Analysis("sobol", n=1024)])
print(uq.run(study).indices()[["S1", "ST"]].to_dataframe())
""",
    "SALib": """
import numpy as np
from SALib import ProblemSpec
f = lambda X: np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
sp = ProblemSpec({"names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3})
sp.sample_sobol(1024, seed=1).evaluate(f).analyze_sobol(seed=1)
print(sp)
""",
    "chaospy": """
import chaospy as cp, numpy as np
f = lambda x1, x2, x3: np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
joint = cp.J(*[cp.Uniform(-np.pi, np.pi) for _ in range(3)])
x = joint.sample(500, rule="sobol", seed=1)
model = cp.fit_regression(cp.generate_expansion(8, joint, normed=True), x, f(*x))
print("S1", cp.Sens_m(model, joint), "ST", cp.Sens_t(model, joint))
""",
    "OpenTURNS": """
import openturns as ot
f = ot.SymbolicFunction(["x1", "x2", "x3"], ["sin(x1) + 7 * sin(x2)^2 + 0.1 * x3^4 * sin(x1)"])
joint = ot.JointDistribution([ot.Uniform(-3.141592653589793, 3.141592653589793)] * 3)
ot.RandomGenerator.SetSeed(1)
x = ot.SobolIndicesExperiment(joint, 1024).generate()
algorithm = ot.SaltelliSensitivityAlgorithm(x, f(x), 1024)
print("S1", algorithm.getFirstOrderIndices(), "ST", algorithm.getTotalOrderIndices())
""",
}

CLOCK = "import time as _t; _started = _t.perf_counter()\n"
TAIL = "\nprint('seconds', _t.perf_counter() - _started)\n"


def lines(script: str) -> int:
    """Non-blank, non-comment lines."""
    code = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert all(len(line) <= 100 for line in code), "a line is longer than 100 characters"
    return len(code)


def interpreter(name: str) -> str | None:
    if name != "OpenTURNS":
        return sys.executable
    candidate = os.environ.get("OPENTURNS_PYTHON", "/work/venv-ot/bin/python")
    return candidate if Path(candidate).is_file() else None


def run(name: str) -> tuple[float, list[float]]:
    """Seconds the script took by its own clock, and the six numbers it printed
    after its indices' labels (S1 then ST)."""
    root = Path(__file__).resolve().parents[1]
    environment = os.environ | {"PYTHONPATH": str(root), "MPLBACKEND": "Agg"}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [interpreter(name) or "", "-c", CLOCK + SCRIPTS[name] + TAIL],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-2000:]}")
    text, _, seconds = done.stdout.rpartition("seconds ")
    return float(seconds), indices_in(name, text)


def indices_in(name: str, text: str) -> list[float]:
    """S1 and ST of x1, x2, x3 from a script's printed output."""
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)]
    if name == "uqscale":  # a frame: x1 S1 ST, x2 S1 ST, x3 S1 ST
        return numbers[0::2][:3] + numbers[1::2][:3]
    if name == "SALib":  # per input: ST, ST_conf, then S1, S1_conf
        return [numbers[6], numbers[8], numbers[10], numbers[0], numbers[2], numbers[4]]
    return numbers[:6]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    exact = [*EXACT["S1"], *EXACT["ST"]]
    seconds: dict[str, list[float]] = {"uqscale": [], "SALib": []}
    print(f"{'framework':<10} {'lines':>5}  S1, ST (x1, x2, x3) checked to +-{TOLERANCE}")
    for name, script in SCRIPTS.items():
        if interpreter(name) is None:
            print(f"{name:<10} {lines(script):>5}  (not run: no interpreter)")
            continue
        took, found = run(name)
        ok = all(abs(a - b) <= TOLERANCE for a, b in zip(found, exact, strict=True))
        print(f"{name:<10} {lines(script):>5}  {[round(v, 3) for v in found]} ok={ok}")
        if name in seconds:
            seconds[name].append(took)
    for _ in range(args.repeats - 1):  # interleaved: uqscale, SALib, uqscale, SALib ...
        for name in seconds:
            seconds[name].append(run(name)[0])
    for name, values in seconds.items():
        print(
            f"{name}: first line to first indices, median of {len(values)}: "
            f"{statistics.median(values):.2f} s ({', '.join(f'{v:.2f}' for v in values)})"
        )
    ratio = statistics.median(seconds["uqscale"]) / statistics.median(seconds["SALib"])
    print(f"uqscale / SALib: {ratio:.1f}")


if __name__ == "__main__":
    main()
