"""Lorenz-96 analysis RMSE and spread of uqscale's filters next to the published
values (Sakov & Oke 2008, Table 1, as DAPPER reproduces them), and seconds per cycle.

Run: ``python benchmarks/assimilation_lorenz96.py`` (from the repository root)
"""

from __future__ import annotations

import time

import numpy as np

from tests.assimilation.test_filters import lorenz96_twin
from uqscale.assimilation.filters import enkf, etkf, gaspari_cohn, letkf

CYCLES, SPIN_UP = 3000, 400


def main() -> None:
    distance = np.abs(np.arange(40)[:, None] - np.arange(40)[None, :])
    taper = gaspari_cohn(np.minimum(distance, 40 - distance), 4.0)
    cases = [
        ("ETKF", etkf, 24, 1.013, {}, 0.18),
        ("EnKF (perturbed obs.)", enkf, 40, 1.06, {}, 0.22),
        ("LETKF (GC radius 4)", letkf, 12, 1.04, {"taper": taper}, None),
    ]
    print(
        f"Lorenz-96, 40 variables, F = 8, all observed every 0.05, unit error variance; "
        f"{CYCLES} cycles, averages after {SPIN_UP}"
    )
    print(
        f"{'filter':24s} {'N':>3s} {'infl':>6s} {'RMSE':>6s} {'spread':>7s} "
        f"{'published':>9s} {'ms/cycle':>9s}"
    )
    for name, update, members, inflation, options, published in cases:
        began = time.perf_counter()
        rmse, spread = lorenz96_twin(
            update, members, inflation, cycles=CYCLES, spin_up=SPIN_UP, **options
        )
        per_cycle = (time.perf_counter() - began) / CYCLES * 1e3
        shown = f"{published:.2f}" if published else "-"
        print(
            f"{name:24s} {members:3d} {inflation:6.3f} {rmse:6.3f} {spread:7.3f} "
            f"{shown:>9s} {per_cycle:9.2f}"
        )


if __name__ == "__main__":
    main()
