"""Framework cost per model run for a vectorised model.

Runs Ishigami (vectorised) with ``moments`` on 10^6 random samples through
``uqscale.run`` on a 2-worker LocalCluster and reports
``(wall - model time on the critical path) / runs``, where the model time on the
critical path is the batches' summed model time divided by the 2 workers. The
wall time excludes importing Python packages (measured in benchmarks/
ishigami_breakdown.py) but includes cluster start, sampling, storing and analysis.
Goal: 0.05 ms per run or less (EasyVVUQ 1.3 measured here: 1-1.5 ms in-process).

Run: ``python benchmarks/framework_cost.py [RUNS]``
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import uqscale
from uqscale.api import run

WORKERS = 2


def main(runs: int) -> None:
    study = uqscale.Study.from_dict(
        {
            "study": "framework_cost",
            "seed": 3,
            "inputs": {
                f"x{i}": {"distribution": "uniform", "low": -3.14159, "high": 3.14159}
                for i in (1, 2, 3)
            },
            "models": [
                {
                    "name": "f",
                    "python": "uqscale.testfunctions:ishigami",
                    "inputs": ["x1", "x2", "x3"],
                    "outputs": ["y"],
                    "vectorized": True,
                }
            ],
            "analysis": [{"method": "moments", "n": runs, "rule": "random"}],
            "execution": {"workers": WORKERS},
        }
    )
    work = Path(tempfile.mkdtemp())
    began = time.perf_counter()
    result = run(study, work / "run")
    wall = time.perf_counter() - began
    shutil.rmtree(work)
    model = result.timings["model"] / WORKERS
    print(
        f"{runs} runs of a vectorised model on {WORKERS} workers: wall {wall:.2f} s, "
        f"model {model:.3f} s on the critical path"
    )
    for stage, seconds in result.timings.items():
        print(f"  {stage:<15}{seconds:7.3f} s")
    print(f"framework cost per run: {(wall - model) / runs * 1e3:.4f} ms (goal <= 0.05 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10**6)
