"""Time to first result on the single-node SLURM: from starting ``uqscale run --cluster
slurm`` (the subprocess) to the first batch stored in the run folder (``parts/*.nc``).

Also printed, on the same clock: when the run folder appeared (imports, sampling and
the folder written), when the first worker job was RUNNING in squeue, and when the
command ended. Needs SLURM up (``bash cluster/slurm/up.sh``).

Run: ``python benchmarks/slurm_first_result.py [REPEATS]``
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

STUDY = """
study: first-result
seed: 1
inputs:
  x1: {distribution: uniform, low: -3.14159, high: 3.14159}
  x2: {distribution: uniform, low: -3.14159, high: 3.14159}
  x3: {distribution: uniform, low: -3.14159, high: 3.14159}
models:
  - {name: f, python: "uqscale.testfunctions:ishigami", inputs: [x1, x2, x3],
     outputs: [y], vectorized: true}
analysis:
  - {method: sobol, n: 1024}
"""


def running_worker_jobs(names: set[str]) -> bool:
    out = subprocess.run(
        ["squeue", "-h", "-t", "RUNNING", "-o", "%j %i"], capture_output=True, text=True
    ).stdout
    return any(line.split()[0] in names for line in out.splitlines() if line.strip())


def once(work: Path, k: int) -> dict[str, float]:
    study = work / "study.yaml"
    run_dir = work / f"run{k}"
    logs = work / f"logs{k}"
    command = [
        str(Path(sys.executable).with_name("uqscale")),
        "run",
        str(study),
        "--out",
        str(run_dir),
        "--quiet",
        "--cluster",
        "slurm",
        "--jobs",
        "2",
        "--profile",
        str(ROOT / "cluster" / "profiles" / "slurm.yaml"),
    ]
    env = {**os.environ, "DASK_JOBQUEUE__SLURM__LOG_DIRECTORY": str(logs)}
    marks: dict[str, float] = {}
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL)
    while process.poll() is None:
        now = time.perf_counter() - began
        if "folder" not in marks and (run_dir / "study.yaml").exists():
            marks["folder"] = now
        if "job running" not in marks and running_worker_jobs({"uqscale-worker"}):
            marks["job running"] = now
        if "first part" not in marks and any((run_dir / "parts").glob("*.nc")):
            marks["first part"] = now
            break
        time.sleep(0.005)
    process.wait()
    marks["command ended"] = time.perf_counter() - began
    if process.returncode:
        raise SystemExit(f"uqscale run failed with exit status {process.returncode}")
    return marks


def main(repeats: int) -> None:
    if shutil.which("sbatch") is None:
        raise SystemExit("no sbatch: bring SLURM up with bash cluster/slurm/up.sh")
    work = Path(tempfile.mkdtemp())
    (work / "study.yaml").write_text(STUDY)
    try:
        runs = [once(work, k) for k in range(repeats)]
    finally:
        shutil.rmtree(work)
    print(
        f"uqscale run --cluster slurm --jobs 2 (single-node SLURM, {repeats} runs; "
        f"seconds after the subprocess started, median [min-max]):"
    )
    for mark in ("folder", "job running", "first part", "command ended"):
        values = [r[mark] for r in runs if mark in r]
        print(
            f"  {mark:<14}{statistics.median(values):6.2f}  [{min(values):.2f}-{max(values):.2f}]"
        )
    first = [r["first part"] for r in runs]
    print(f"time to first stored result: {statistics.median(first):.2f} s (median of {repeats})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
