"""uqscale against a hand-written script doing the same Saltelli study.

The study: Ishigami, Saltelli with N = 2^14 and no second order (81,920 runs),
SALib's estimators with 100 bootstrap resamples, on a 2-worker LocalCluster.
The hand-written script imports the libraries, starts the cluster, samples with
SALib, maps the vectorised function over 8 chunks, analyses with SALib and saves
the results with numpy: the least a careful user would write (heavy imports kept
out of the module top, which Dask's spawned workers would import again). Both run in fresh
interpreters, alternated (hand, uqscale, uqscale ``--no-report``, hand, ...); the
ratio of their median wall times is the framework's price, with and without the HTML
report (which the hand-written script has no counterpart of: its figures import
matplotlib, some 0.7 s, and draw the model graph and the index bars).

Run: ``python benchmarks/saltelli_vs_handwritten.py [ROUNDS]`` (default 5), at normal
priority.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from common import ROOT, command_seconds, positional

ISHIGAMI = """
seed: 1
inputs:
  x1: {distribution: uniform, low: -3.141592653589793, high: 3.141592653589793}
  x2: {distribution: uniform, low: -3.141592653589793, high: 3.141592653589793}
  x3: {distribution: uniform, low: -3.141592653589793, high: 3.141592653589793}
models:
  - {name: f, python: "uqscale.testfunctions:ishigami", inputs: [x1, x2, x3],
     outputs: [y], vectorized: %s}
"""
"""The Ishigami study's inputs and model (``%s``: whether the model is vectorised)."""

STUDY = (
    "study: ishigami_saltelli"
    + ISHIGAMI % "true"
    + """analysis:
  - {method: sobol, n: 16384}
execution: {workers: 2}
"""
)

HANDWRITTEN = textwrap.dedent("""
    import numpy as np

    def ishigami(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    if __name__ == "__main__":
        # Imported here, not at the top: spawned workers re-import this file.
        import logging, sys
        from SALib.sample import sobol as saltelli
        from SALib.analyze import sobol
        from distributed import Client, LocalCluster
        problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as c, \\
                Client(c) as client:
            x = saltelli.sample(problem, 2**14, calc_second_order=False, seed=1)
            y = np.concatenate(client.gather(client.map(ishigami, np.array_split(x, 8))))
        indices = sobol.analyze(problem, y, calc_second_order=False, seed=1)
        np.savez(sys.argv[1], x=x, y=y, S1=indices["S1"], ST=indices["ST"])
        print(indices["ST"])
""")


def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp())
    (work / "study.yaml").write_text(STUDY)
    (work / "hand.py").write_text(HANDWRITTEN)
    uqscale = str(Path(sys.executable).with_name("uqscale"))
    seconds: dict[str, list[float]] = {"hand": [], "uqscale": [], "no report": []}
    for i in range(rounds):  # interleaved: A, B, C, A, B, C, ...
        hand = [sys.executable, str(work / "hand.py"), str(work / "hand.npz")]
        seconds["hand"].append(command_seconds(hand, cwd=work))
        run_into = [uqscale, "run", str(work / "study.yaml"), "--quiet", "--out"]
        seconds["uqscale"].append(command_seconds([*run_into, str(work / f"r{i}")], cwd=ROOT))
        unreported = [*run_into, str(work / f"n{i}"), "--no-report"]
        seconds["no report"].append(command_seconds(unreported, cwd=ROOT))
    shutil.rmtree(work)
    hand = statistics.median(seconds["hand"])
    print(f"Ishigami, Saltelli N=2^14 (81,920 runs), median of {rounds} interleaved rounds:")
    print(f"  hand-written SALib/numpy + LocalCluster: {hand:.2f} s")
    for way, label in (("uqscale", "uqscale run"), ("no report", "uqscale run --no-report")):
        ours = statistics.median(seconds[way])
        ratios = [b / a for a, b in zip(seconds["hand"], seconds[way], strict=True)]
        print(f"  {label + ':':<40} {ours:.2f} s, ratio {ours / hand:.2f} (goal <= 1.1)")
        print("    per round: " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main(*positional((5,)))
