"""The REV test of the tumour_nonlocal medium and the distribution of the fitted
exponent, for the study's figures.

* Variance over non-overlapping L x L windows of the window's effective diffusivity
  (harmonic mean) against L, for an uncorrelated medium (beta = 0) and long-range
  correlated ones (beta = 1, 1.5), REPLICAS media each, 512 x 512 sites, s = 0.75;
  the homogenisable law L^-2 and the asymptotic L^(beta - 2) for reference.
* The fitted mean-square-displacement exponent gamma (and the homogenised-Fick
  mismatch msd_ratio) of SAMPLES micro samples drawn from the study's input
  distributions (beta ~ U(0.5, 1.8), s ~ U(0.5, 1.25), the study's walker settings),
  and the time of one micro sample.

Writes ``tumour_rev.png`` into OUT.

Run: ``python benchmarks/tumour_rev.py [REPLICAS] [SAMPLES] [OUT]``
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from common import positional, study_model

WINDOWS = (4, 8, 16, 32, 64)


def main(replicas: int = 4, samples: int = 48, out: Path = Path(".")) -> None:
    tn = study_model("tumour_nonlocal")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for beta, colour in ((0.0, "C0"), (1.0, "C1"), (1.5, "C3")):
        curves, slopes = [], []
        for seed in range(replicas):
            field = tn.power_law_field(512, beta, np.random.default_rng(seed))
            curves.append(tn.window_variance(np.exp(0.75 * field), WINDOWS))
            slopes.append(tn.log_slope(WINDOWS, curves[-1])[0])
        mean = np.mean(curves, axis=0)
        print(
            f"beta = {beta}: window variance {np.array2string(mean, precision=4)}, "
            f"slope {np.mean(slopes):.2f} +- {np.std(slopes, ddof=1):.2f} "
            f"(REV: -2, asymptotic {beta - 2:.1f})"
        )
        for curve in curves:
            left.loglog(WINDOWS, curve, c=colour, alpha=0.3)
        left.loglog(
            WINDOWS, mean, "o-", c=colour, label=f"beta = {beta}: slope {np.mean(slopes):.2f}"
        )
        left.loglog(
            WINDOWS, mean[0] * (np.array(WINDOWS) / WINDOWS[0]) ** (beta - 2.0), ":", c=colour
        )
    reference = np.array(WINDOWS, dtype=float)
    left.loglog(reference, 0.05 * (reference / 4) ** -2.0, "k--", label="1 / area (REV)")
    left.set(
        xlabel="window edge L (sites of 5 um)",
        ylabel="Var of window D_eff / D0^2",
        title="REV test: s = 0.75, dotted L^(beta-2)",
    )
    left.legend(fontsize=8)
    rng = np.random.default_rng(20261127)
    beta, contrast = rng.uniform(0.5, 1.8, samples), rng.uniform(0.5, 1.25, samples)
    tn.medium_walk([1.0], [1.0], [0.0], walkers=10, t_last=5.0)  # compile
    began = time.perf_counter()
    micro = tn.medium_walk(beta, contrast, rng.uniform(size=samples), seed=20261127)
    per_sample = (time.perf_counter() - began) / samples
    gamma = micro["msd_exponent"]
    print(
        f"{samples} micro samples ({per_sample:.2f} s each): gamma {gamma.mean():.3f} "
        f"(range {gamma.min():.3f} to {gamma.max():.3f}; {np.mean(gamma < 1):.0%} below 1); "
        f"msd_ratio {micro['msd_ratio'].mean():.2f} (range {micro['msd_ratio'].min():.2f} "
        f"to {micro['msd_ratio'].max():.2f}); rev_slope {micro['rev_slope'].mean():.2f} "
        f"(range {micro['rev_slope'].min():.2f} to {micro['rev_slope'].max():.2f})"
    )
    scatter = right.scatter(contrast, gamma, c=beta, cmap="viridis")
    fig.colorbar(scatter, ax=right, label="beta")
    right.axhline(1.0, c="k", ls="--", lw=0.8)
    right.set(
        xlabel="contrast s (std of log D)",
        ylabel="fitted MSD exponent gamma",
        title=f"gamma of {samples} micro samples ({per_sample:.2f} s each)",
    )
    inset = right.inset_axes([0.12, 0.12, 0.35, 0.3])
    inset.hist(gamma, bins=12, color="gray")
    inset.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(out / "tumour_rev.png", dpi=110)


if __name__ == "__main__":
    main(*positional((4, 48, Path("."))))
