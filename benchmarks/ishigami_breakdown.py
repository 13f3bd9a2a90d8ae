"""Wall time of ``uqscale run studies/ishigami.yaml`` and how it splits by stage.

Prints the end-to-end wall time of the command, the time of each stage measured by
the run itself (``RunResult.timings``, also in provenance.json), the import time,
and the raw-library floor: importing numpy, chaospy, SALib and distributed and
starting a 2-worker LocalCluster, which no tool built on them can beat.

Run: ``python benchmarks/ishigami_breakdown.py``
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from common import ROOT, best_of, command_seconds, python_seconds

FLOOR = """
import logging, numpy, chaospy, SALib.sample.sobol, SALib.analyze.sobol, distributed
with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                              dashboard_address="127.0.0.1:0",
                              silence_logs=logging.ERROR) as c, distributed.Client(c):
    pass
"""
IMPORTS = "import numpy, xarray, chaospy, SALib.sample.sobol, SALib.analyze.sobol, distributed"


def main() -> None:
    study = ROOT / "studies" / "ishigami.yaml"
    work = Path(tempfile.mkdtemp())
    uqscale = str(Path(sys.executable).with_name("uqscale"))
    runs = iter(range(100))
    wall = best_of(
        3,
        lambda: command_seconds(
            [uqscale, "run", str(study), "--quiet", "--out", str(work / f"r{next(runs)}")]
        ),
    )
    stages = json.loads((work / "r0" / "provenance.json").read_text())["seconds"]
    samples = json.loads((work / "r0" / "indices.json").read_text())["samples"]
    imports = best_of(3, lambda: python_seconds(IMPORTS))
    floor = best_of(3, lambda: python_seconds(FLOOR))
    shutil.rmtree(work)
    print(
        f"uqscale run studies/ishigami.yaml ({samples} model runs): {wall:.2f} s wall (best of 3)"
    )
    print(f"  imports (numpy, xarray, chaospy, SALib, distributed): {imports:.2f} s")
    for stage in (
        "design",
        "store_create",
        "cluster_start",
        "ensemble",
        "model",
        "store_batches",
        "cluster_stop",
        "collect",
        "analysis",
        "store_analyses",
    ):
        note = "  (inside ensemble)" if stage in ("model", "store_batches") else ""
        print(f"  {stage:<15}{stages.get(stage, 0.0):7.3f} s{note}")
    print(f"raw-library floor (imports + 2-worker LocalCluster start/stop): {floor:.2f} s")


if __name__ == "__main__":
    main()
