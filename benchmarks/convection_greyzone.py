"""Grey-zone windows of the convection_greyzone schemes, the solver's onset against
linear stability theory, and the cost of one sample.

* The median sample of ``studies/convection_greyzone.yaml`` on the study's sweep of
  column widths dx = depth/16 ... 32 depths (dx / l with l = depth, the updraft width),
  for the schemes ``none``, ``conventional`` and ``scale_aware``: Nusselt number,
  resolved share of the convective transport, spin-up time, plume wavelength in columns
  and the diagnosed sigma. The truth is the resolved run at the finest spacing; a
  scheme's grey-zone window is where its Nusselt number departs from it by more than
  TOLERANCE.
* Critical Rayleigh numbers of the resolved solver (Richardson-extrapolated from 16
  and 32 levels, the grid refined in x and z together) against Chandrasekhar (1961).
* CPU seconds of one sample at the finest and the coarsest spacing.

Writes ``convection_greyzone.png`` (Nusselt number and resolved share against dx / l)
into OUT. Run: ``python benchmarks/convection_greyzone.py [OUT]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from common import ROOT, positional

MEDIAN = {"rayleigh": 6e4, "prandtl": 1.35, "entrainment": 2.5, "area_fraction": 0.065}
SPACINGS = np.geomspace(1.0 / 16.0, 32.0, 10)
SCHEMES = ("none", "conventional", "scale_aware")
TOLERANCE = 0.1
ONSET = {
    ("free", "free"): (657.51, np.pi / np.sqrt(2.0)),
    ("rigid", "rigid"): (1707.76, 3.117),
    ("rigid", "free"): (1100.65, 2.682),
}
SETTINGS = {"levels": 16, "duration": 0.4, "seed": 1}


def sweep(model) -> dict[str, list[dict[str, float]]]:
    """The median sample at every spacing, for every scheme."""
    return {
        scheme: [model.run_sample(**MEDIAN, dx=dx, scheme=scheme, **SETTINGS) for dx in SPACINGS]
        for scheme in SCHEMES
    }


def onset(model, walls: tuple[str, str]) -> float:
    """Richardson-extrapolated critical Rayleigh number (order 2)."""
    ra, k = ONSET[walls]
    values = []
    for n in (16, 32):
        low, high = 0.97 * ra, 1.03 * ra
        rates = [model.growth_rate(r, k, walls, n, columns_per_wave=n) for r in (low, high)]
        values.append(low - rates[0] * (high - low) / (rates[1] - rates[0]))
    return values[1] + (values[1] - values[0]) / 3.0


def main() -> None:
    (out,) = positional(("benchmarks",))
    sys.path.insert(0, str(ROOT / "studies"))  # as a study imports it (dataclasses need it)
    from models import convection_greyzone as model

    for walls, (reference, _) in ONSET.items():
        value = onset(model, walls)
        print(
            f"onset {'-'.join(walls):12s} Ra_c = {value:8.2f}  reference {reference:8.2f}"
            f"  ({value / reference - 1:+.2%})"
        )
    for dx in (SPACINGS[0], SPACINGS[-1]):
        start = time.process_time()
        model.run_sample(**MEDIAN, dx=dx, scheme="scale_aware", **SETTINGS)
        print(f"one sample at dx/l = {dx:g}: {time.process_time() - start:.2f} s CPU")
    runs = sweep(model)
    truth = runs["none"][0]["nusselt"]
    print(f"truth (resolved, dx/l = 1/16): Nu = {truth:.3f}")
    print("dx/l      " + " ".join(f"{dx:7.3g}" for dx in SPACINGS))
    for scheme in SCHEMES:
        for name in ("nusselt", "resolved_fraction", "spinup_time", "plume_cells", "sigma"):
            row = " ".join(f"{r[name]:7.3f}" for r in runs[scheme])
            print(f"{scheme[:12]:12s} {name[:17]:17s} {row}")
        window = [
            dx
            for dx, r in zip(SPACINGS, runs[scheme], strict=True)
            if abs(r["nusselt"] / truth - 1) > TOLERANCE
        ]
        print(f"{scheme}: |Nu / truth - 1| > {TOLERANCE:g} at dx/l = {window}")
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6, 6))
    for scheme in SCHEMES:
        top.semilogx(SPACINGS, [r["nusselt"] for r in runs[scheme]], "o-", label=scheme)
        bottom.semilogx(SPACINGS, [r["resolved_fraction"] for r in runs[scheme]], "o-")
    top.axhline(truth, color="k", lw=0.8)
    top.set_ylabel("Nusselt number")
    top.legend()
    bottom.set_ylabel("resolved share")
    bottom.set_xlabel("dx / l")
    figure.savefig(Path(out) / "convection_greyzone.png", dpi=120)


if __name__ == "__main__":
    main()
