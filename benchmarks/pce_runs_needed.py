"""Runs needed for accurate Sobol indices: sparse adaptive PCE against least squares.

For each seed, one scrambled Sobol' sequence; every method is fitted on its growing
prefixes (the run counts of the grid). A seed's "runs needed" is the fewest runs from
which every larger count of the grid keeps max |S - S_exact| (first and total
indices) within the tolerance: Ishigami 0.01, G-function with 8 inputs 0.02
(REFERENCES.md). Methods:

- ``auto``: uqscale ``{method: pce, order: auto}`` (the defaults: orthogonal matching
  pursuit, hyperbolic truncation q = 0.75, degree 1..10 chosen by corrected
  leave-one-out error);
- ``auto-lars``, ``auto-q1``: the same with ``solver: lars``, with ``q_norm: 1``;
- ``ols-p``: ordinary least squares on the total-degree basis of degree p
  (``{order: p}``, ``solver: ols``); the script first checks that it is the same fit
  as chaospy's ``fit_regression`` with its default least squares.

Run: ``python benchmarks/pce_runs_needed.py [--seeds 10] [--problems ishigami gfunction]``
"""

from __future__ import annotations

import argparse
import time
from math import comb

import numpy as np
from pce_problems import PROBLEMS, Problem, chaospy_agreement, runs_needed, uqscale_indices

GRIDS = {
    "ishigami": [24, 32, 40, 48, 56, 64, 80, 96, 128, 160, 192, 224, 256, 320, 384],
    "gfunction": [64, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 1536, 2048],
}
SPARSE_LIMIT = {"ishigami": 384, "gfunction": 768}
"""Largest run count the sparse fits are refitted at (larger ones keep its error)."""
OLS_ORDERS = {"ishigami": (6, 8, 10), "gfunction": (2, 3, 4)}
SPARSE = {
    "auto": {"order": "auto"},
    "auto-lars": {"order": "auto", "solver": "lars"},
    "auto-q1": {"order": "auto", "q_norm": 1.0},
}


def errors_of(problem: Problem, method: str, x: np.ndarray, grid: list[int]) -> dict[int, float]:
    """The index error of ``method`` on every prefix of ``x`` in the grid."""
    found = {}
    for n in grid:
        if method in SPARSE and n > SPARSE_LIMIT[problem.name]:
            found[n] = found[max(found)]  # not refitted: slow, and already converged
            continue
        if method in SPARSE:
            options = SPARSE[method]
        else:
            order = int(method.split("-")[1])
            if n < comb(order + problem.dimension, order) + 2:  # too few for least squares
                found[n] = np.inf
                continue
            options = {"order": order}
        result = uqscale_indices(problem, x[:n], options | {"bootstrap": 0, "convergence": False})
        found[n] = problem.error(result["S1"].values, result["ST"].values)
    return found


def report(problem: Problem, method: str, needed: list[int | None], seconds: float) -> None:
    """One line: median and spread of the runs needed over the seeds."""
    reached = sorted(n for n in needed if n is not None)
    missing = len(needed) - len(reached)
    if reached:
        text = f"median {np.median(reached):6.0f}  min {reached[0]:5d}  max {reached[-1]:5d}"
    else:
        text = "never reached within the grid"
    tail = f"  ({missing} of {len(needed)} seeds never within the grid)" if missing else ""
    print(f"  {method:10s} runs needed: {text}{tail}  [{seconds:.0f} s]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--problems", nargs="+", default=list(GRIDS), choices=list(GRIDS))
    parser.add_argument("--methods", nargs="+")
    arguments = parser.parse_args()
    ishigami = PROBLEMS["ishigami"]
    print(
        f"uqscale ols against chaospy.fit_regression, Ishigami degree 8, 200 runs: "
        f"largest difference {chaospy_agreement(ishigami, ishigami.design(200, 0), 8):.1e}"
        f" of the output's standard deviation"
    )
    for name in arguments.problems:
        problem, grid = PROBLEMS[name], GRIDS[name]
        methods = arguments.methods or [*SPARSE, *(f"ols-{p}" for p in OLS_ORDERS[name])]
        print(
            f"{name}: max |S - S_exact| <= {problem.tolerance} (S1 and ST), "
            f"{arguments.seeds} seeds, runs tried {grid}"
        )
        for method in methods:
            began = time.perf_counter()
            needed = [
                runs_needed(
                    errors_of(problem, method, problem.design(grid[-1], seed), grid),
                    problem.tolerance,
                )
                for seed in range(arguments.seeds)
            ]
            report(problem, method, needed, time.perf_counter() - began)


if __name__ == "__main__":
    main()
