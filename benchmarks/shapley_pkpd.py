"""What correlated clearance and volume change in the pkpd study's indices: Shapley
effects of studies/pkpd_correlated.yaml against the same study with independent inputs
(same design size and seed), for the macro outputs.

Run: ``python benchmarks/shapley_pkpd.py`` (a few minutes on 2 cores)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import uqscale

OUTPUTS = ("auc_plasma", "biomarker_peak", "peak_occupancy")
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    correlated = uqscale.load_study(ROOT / "studies" / "pkpd_correlated.yaml")
    cases = {
        "correlated (rho 0.4)": correlated,
        "independent": correlated.replace(correlation=None),
    }
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, study in cases.items():
            began = time.perf_counter()
            result = uqscale.run(study, Path(folder) / name.split()[0])
            found[name] = (result.indices["outputs"], time.perf_counter() - began)
    for output in OUTPUTS:
        print(f"{output}: Shapley effects (half-width)")
        for name, (outputs, _) in found.items():
            entry = outputs[output]["shapley"]
            cells = "  ".join(
                f"{k} {v:.3f}({entry['Sh_conf'][k]:.3f})" for k, v in entry["Sh"].items()
            )
            print(f"  {name:22s} {cells}")
    for name, (_, seconds) in found.items():
        print(f"{name}: {seconds:.0f} s")


if __name__ == "__main__":
    main()
