"""What correlated clearance and volume change in the pkpd study's indices: Shapley
effects of studies/pkpd_correlated.yaml against the same study with independent inputs
(same design size and seed), for the macro outputs, and the shift of each effect with
its half-width.

The two runs share their seed (common random numbers), which makes their errors
positively correlated; the shift's half-width is taken as ``sqrt(a^2 + b^2)`` of the two
half-widths, which is then conservative. A shift whose half-width is smaller than itself
is resolved.

Run: ``nice -n 10 python benchmarks/shapley_pkpd.py [--keep DIR]`` (about 25 minutes
on 2 free cores; ``--keep`` stores the two runs there, and a second call re-analyses
them without running the model)
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import uqscale

OUTPUTS = ("auc_plasma", "biomarker_peak", "peak_occupancy")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="store the runs in this folder")
    keep = parser.parse_args().keep
    correlated = uqscale.load_study(ROOT / "studies" / "pkpd_correlated.yaml")
    cases = {"correlated": correlated, "independent": correlated.replace(correlation=None)}
    found = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, study in cases.items():
            began = time.perf_counter()
            result = uqscale.run(study, (keep or Path(scratch)) / name)
            found[name] = (result.indices["outputs"], time.perf_counter() - began)
    for output in OUTPUTS:
        entries = {name: outputs[output]["shapley"] for name, (outputs, _) in found.items()}
        print(f"{output}: Shapley effect (half-width)")
        for name, entry in entries.items():
            cells = "  ".join(
                f"{k} {v:.3f}({entry['Sh_conf'][k]:.3f})" for k, v in entry["Sh"].items()
            )
            print(f"  {name:12s} {cells}")
        with_, without = entries["correlated"], entries["independent"]
        shifts = []
        for k in with_["Sh"]:
            shift = with_["Sh"][k] - without["Sh"][k]
            width = math.hypot(with_["Sh_conf"][k], without["Sh_conf"][k])
            shifts.append(f"{k} {shift:+.3f}({width:.3f}){'*' if abs(shift) > width else ''}")
        print(f"  {'shift':12s} {'  '.join(shifts)}   (* resolved)")
    for name, (_, seconds) in found.items():
        print(f"{name}: {seconds:.0f} s")


if __name__ == "__main__":
    main()
