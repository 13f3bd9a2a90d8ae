"""Lennard-Jones shear viscosity of the greenkubo_capillary micro step against the
published value, and the cost of one micro sample.

Reference: Ferrario, Ciccotti, Holian & Ryckaert (1991), Phys. Rev. A 44, 6936:
eta* = 3.24 +- 0.04 at T* = 0.722, rho* = 0.8442 (Green-Kubo, N = 2048).

* REPLICAS independent trajectories of the study's engine (108 atoms, cutoff 2.5,
  dt* = 0.005) with STEPS NVE steps each; each gives eta* at t_c = 2 with its block
  error, and together their mean with the standard error of the mean (the honest error:
  the replicas are independent) and the spread, against 3.24 +- 0.04.
* The cost of one micro sample at the study's settings (2,000 thermostatted + 12,000
  NVE steps), and the time per step of the numba engine against a vectorised numpy
  pair loop (the baseline), interleaved A, B, A, B.

Writes ``greenkubo_lj_viscosity.png`` (running Green-Kubo integral with its error band,
the replicas' values, the published value) into OUT.

Run: ``python benchmarks/greenkubo_lj_viscosity.py [REPLICAS] [STEPS] [OUT]``
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from common import positional, study_model

PUBLISHED, PUBLISHED_ERROR = 3.24, 0.04
T_STAR, RHO_STAR, CUTOFF, DT = 0.722, 0.8442, 2.5, 0.005


def running_integral(gk, seed: int, steps: int, t_max: float = 3.0):
    """eta*(t_c) for t_c in [0, t_max] of one trajectory, and its block error."""
    x, box = gk.fcc_lattice(3, RHO_STAR)
    v = np.random.default_rng(seed).standard_normal(x.shape)
    v -= v.mean(axis=0)
    thermostat = np.concatenate([np.full(500, 2.0), np.full(1500, T_STAR)])
    stress, _ = gk.velocity_verlet(x, v, box, CUTOFF, DT, thermostat, steps)
    cutoffs = np.linspace(0.1, t_max, 30)
    values = [gk.green_kubo_integral(stress, DT, tc, 10) for tc in cutoffs]
    factor = box**3 / T_STAR
    return cutoffs, np.array(values) * factor


def numpy_step(x, box, i, j):
    """Forces of the same potential by a vectorised numpy pair loop (the baseline)."""
    d = x[i] - x[j]
    d -= box * np.rint(d / box)
    r2 = np.einsum("pk,pk->p", d, d)
    inv6 = np.where(r2 < CUTOFF**2, 1.0 / r2, 0.0) ** 3
    f = (24.0 * inv6 * (2.0 * inv6 - 1.0) / r2)[:, None] * d
    return np.stack(
        [np.bincount(i, f[:, k], len(x)) - np.bincount(j, f[:, k], len(x)) for k in range(3)],
        axis=1,
    )


def per_step_seconds(gk, rounds: int = 4, steps: int = 300) -> tuple[float, float]:
    """Numba and numpy force evaluations per step, interleaved; the best of each."""
    x, box = gk.fcc_lattice(3, RHO_STAR)
    x = (x + 0.05 * np.random.default_rng(0).standard_normal(x.shape)) % box
    forces = np.empty_like(x)
    i, j = np.triu_indices(len(x), 1)
    gk.lj_forces(x, box, CUTOFF, forces)  # compile
    numba_times, numpy_times = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(steps):
            gk.lj_forces(x, box, CUTOFF, forces)
        numba_times.append((time.perf_counter() - began) / steps)
        began = time.perf_counter()
        for _ in range(steps):
            numpy_step(x, box, i, j)
        numpy_times.append((time.perf_counter() - began) / steps)
    return min(numba_times), min(numpy_times)


def main(replicas: int = 6, steps: int = 60_000, out: Path = Path(".")) -> None:
    gk = study_model("greenkubo_capillary")
    gk.plasma_viscosity([T_STAR], [0.0], [1.0], n_steps=600, n_blocks=2, gk_cutoff=0.5)
    began = time.perf_counter()
    sample = gk.plasma_viscosity([T_STAR], [0.25], [1.0], n_steps=12_000, n_blocks=6)
    sample_seconds = time.perf_counter() - began
    numba_step, numpy_step_time = per_step_seconds(gk)
    curves = [running_integral(gk, seed, steps) for seed in range(replicas)]
    cutoffs = curves[0][0]
    k = int(np.argmin(np.abs(cutoffs - 2.0)))
    etas = np.array([c[1][k, 0] for c in curves])
    block_errors = np.array([c[1][k, 1] for c in curves])
    mean, sem = etas.mean(), etas.std(ddof=1) / np.sqrt(replicas)
    z = (mean - PUBLISHED) / np.hypot(sem, PUBLISHED_ERROR)
    print(
        f"one micro sample (108 atoms, 14,000 steps): {sample_seconds:.2f} s; "
        f"eta* = {sample['eta_star'][0]:.2f} +- {sample['eta_star_stderr'][0]:.2f}"
    )
    print(
        f"force evaluation per step: numba {numba_step * 1e6:.0f} us, numpy pair loop "
        f"{numpy_step_time * 1e6:.0f} us (ratio {numpy_step_time / numba_step:.1f})"
    )
    print(
        f"{replicas} replicas x {steps} NVE steps, t_c = 2: eta* = "
        + ", ".join(f"{e:.2f}+-{b:.2f}" for e, b in zip(etas, block_errors, strict=True))
    )
    print(
        f"mean {mean:.3f} +- {sem:.3f} (replica spread {etas.std(ddof=1):.3f}, mean block "
        f"error {block_errors.mean():.3f}); published {PUBLISHED} +- {PUBLISHED_ERROR}; "
        f"z = {z:.2f}"
    )
    mean_curve = np.mean([c[1][:, 0] for c in curves], axis=0)
    sem_curve = np.std([c[1][:, 0] for c in curves], axis=0, ddof=1) / np.sqrt(replicas)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.fill_between(
        cutoffs,
        mean_curve - sem_curve,
        mean_curve + sem_curve,
        alpha=0.3,
        label=f"this engine, {replicas} replicas (+- s.e.m.)",
    )
    left.plot(cutoffs, mean_curve)
    left.axhspan(
        PUBLISHED - PUBLISHED_ERROR,
        PUBLISHED + PUBLISHED_ERROR,
        color="k",
        alpha=0.2,
        label="Ferrario et al. 1991: 3.24 +- 0.04",
    )
    left.axvline(2.0, ls=":", c="gray")
    left.set(
        xlabel="Green-Kubo cutoff t_c (reduced)",
        ylabel="eta*",
        title="LJ shear viscosity, T* = 0.722, rho* = 0.8442",
    )
    left.legend(fontsize=8)
    right.errorbar(range(replicas), etas, block_errors, fmt="o", label="replicas (block error)")
    right.errorbar([replicas + 1], [mean], [sem], fmt="s", c="C3", label="mean +- s.e.m.")
    right.axhspan(PUBLISHED - PUBLISHED_ERROR, PUBLISHED + PUBLISHED_ERROR, color="k", alpha=0.2)
    right.set(
        xlabel="replica",
        ylabel="eta* at t_c = 2",
        title=f"one micro sample: {sample_seconds:.1f} s (14,000 steps)",
    )
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "greenkubo_lj_viscosity.png", dpi=110)


if __name__ == "__main__":
    main(*positional((6, 60_000, Path("."))))
