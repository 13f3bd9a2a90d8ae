"""Shapley effects against the closed form of a linear model of correlated Gaussian inputs
(Owen & Prieur 2017; the four-input case of tests/analysis/test_shapley.py): error,
stated half-width and coverage over independent runs, at two budgets a factor four apart,
with every ordering used (the exact-permutation variant).

Two error models are compared on the same runs: uqscale's (the Monte Carlo error of each
subset's cost, propagated through Shapley's weights, with the delta term of ``Var(Y)``)
and the central limit over orderings that uqscale used before, which treats the fixed,
exhaustive orderings as if they were random.

Run: ``nice -n 10 python benchmarks/shapley_coverage.py [--runs 200]`` (about 3 minutes)
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.stats import norm

from tests.analysis.test_shapley import exact_shapley, gaussian_space, run
from uqscale.analysis import shapley_estimator

BETA, SIGMA = np.array([1.0, 2.0, 0.5, -1.0]), np.array([1.0, 0.7, 1.6, 0.4])
MATRIX = [[1.0, 0.6, 0.3], [0.6, 1.0, 0.0], [0.3, 0.0, 1.0]]  # of x2, x3, x4
Z = float(norm.ppf(0.975))


def per_ordering(settings: dict, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The former estimator: effects averaged over orderings and half-widths from the
    spread of the per-ordering contributions, as if the exhaustive orderings were random."""
    d, n_var = x.shape[1], settings["n_var"]
    count, inner = settings["permutations"], settings["inner"]
    orders = shapley_estimator.orderings(d, count, np.random.default_rng(0))
    spreads = y[n_var:].reshape(count, d - 1, 1, inner, 1).var(axis=3, ddof=1)
    total = y[:n_var, None]
    variance = total.var(axis=0, ddof=1)
    share, noise, last = shapley_estimator._by_ordering(orders, spreads, variance, np.eye(d))
    return (share / variance + last).ravel(), Z * np.sqrt(noise).ravel() / variance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    space = gaussian_space(SIGMA, ["x2", "x3", "x4"], MATRIX)
    exact = exact_shapley(BETA, space.correlation * np.outer(SIGMA, SIGMA))
    print(f"closed form Sh = {np.round(exact, 4).tolist()}; {runs} independent runs each")
    header = (
        "orderings  n_var  samples  RMS error  half-width  coverage | former: RMS  width  coverage"
    )
    print(header)
    for repeat, n_var in ((2, 1000), (8, 4000)):
        settings = {"permutations": repeat * math.factorial(4), "n_var": n_var, "outer": 1}
        settings |= {"inner": 3, "conf_level": 0.95}
        samples = n_var + settings["permutations"] * 3 * 3
        effects, widths, former, former_widths = [], [], [], []
        for seed in range(runs):
            x = shapley_estimator.sample(space, settings, np.random.default_rng(seed))
            found = run(space, lambda x: {"y": ((), x @ BETA)}, seed=seed, options=settings)
            effects.append(found["y"]["Sh"].values)
            widths.append(found["y"]["Sh_conf"].values)
            old, old_width = per_ordering(settings, x, x @ BETA)
            former.append(old)
            former_widths.append(old_width)
        error = np.array(effects) - exact
        rms = np.sqrt((error**2).mean())
        cover = (np.abs(error) <= np.array(widths)).mean()
        former_error = np.array(former) - exact
        former_cover = (np.abs(former_error) <= np.array(former_widths)).mean()
        former_rms = np.sqrt((former_error**2).mean())
        print(
            f"{settings['permutations']:9d} {n_var:6d} {samples:8d} {rms:10.4f} "
            f"{np.mean(widths):11.4f} {cover:9.3f} | {former_rms:11.4f} "
            f"{np.mean(former_widths):6.4f} {former_cover:9.3f}"
        )


if __name__ == "__main__":
    main()
