"""Time to build report.html from a finished run folder, for every study in studies/.

For each ``studies/*.yaml`` the run folder is its ``output.directory`` (else
``runs/NAME``); with ``--run-missing`` a study without a finished folder is run there
first (with ``uqscale run``). Folders given on the command line are
measured too. Two figures per folder: the wall time of ``uqscale report DIR`` in a fresh
interpreter (imports included: what a user waits for), and the best of three builds in
this process (reading and drawing), each with its CPU seconds (steadier than wall time
on a shared machine). Goal: under 10 s for the largest study.

Run: ``python benchmarks/report_build.py [--run-missing] [RUN_DIR ...]``
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, best_of, command_seconds

GOAL_SECONDS = 10.0


def run_folders(run_missing: bool) -> dict[str, Path]:
    """Each study's finished run folder (running the missing ones, into their default
    folders, if asked; a study that fails to run is reported and left out)."""
    from uqscale.api import default_directory
    from uqscale.study.files import load_study

    found = {}
    for path in sorted((ROOT / "studies").glob("*.yaml")):
        study = load_study(path)
        folder = ROOT / default_directory(study)
        if not (folder / "analyses.nc").is_file() and run_missing:
            print(f"running {path.name} into {folder} ...", flush=True)
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "uqscale.cli",
                    "run",
                    str(path),
                    "--out",
                    str(folder),
                    "--quiet",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                print(f"  failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
        if (folder / "analyses.nc").is_file():
            found[study.name] = folder
        else:
            print(f"{path.name}: no finished run folder (use --run-missing)")
    return found


def child_cpu() -> float:
    """CPU seconds used so far by finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(folder: Path) -> dict[str, float]:
    """Fresh-interpreter and in-process build times (wall and CPU: on a shared machine
    CPU seconds are the steadier figure), samples, size and figures."""
    import json

    from uqscale.report.html import write_report

    def fresh() -> tuple[float, float]:
        began = child_cpu()
        wall = command_seconds([sys.executable, "-m", "uqscale.cli", "report", str(folder)])
        return wall, child_cpu() - began

    def build() -> tuple[float, float]:
        began, cpu = time.perf_counter(), time.process_time()
        write_report(folder)
        return time.perf_counter() - began, time.process_time() - cpu

    cold, warm = best_of(2, fresh), best_of(3, build)
    html = (folder / "report.html").read_text(encoding="utf-8")
    samples = json.loads((folder / "indices.json").read_text())["samples"]
    return {
        "fresh": cold[0],
        "fresh_cpu": cold[1],
        "warm": warm[0],
        "warm_cpu": warm[1],
        "samples": samples,
        "kb": len(html) / 1024,
        "figures": len(re.findall(r"<img ", html)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="more run folders to measure")
    parser.add_argument(
        "--run-missing", action="store_true", help="run studies that have no finished folder first"
    )
    args = parser.parse_args()
    folders = run_folders(args.run_missing)
    folders |= {f.name: f for f in args.folders}
    print(
        f"{'run':<22}{'samples':>10}{'figures':>9}{'size':>10}"
        f"{'uqscale report (cpu)':>24}{'build only (cpu)':>20}"
    )
    results = {}
    for name, folder in folders.items():
        try:
            results[name] = r = measure(folder)
        except subprocess.CalledProcessError as error:
            print(f"{name:<22}report failed: {error}")
            continue
        print(
            f"{name:<22}{r['samples']:>10,}{r['figures']:>9}{r['kb']:>8.0f}kB"
            f"{r['fresh']:>12.2f} s ({r['fresh_cpu']:5.2f} s)"
            f"{r['warm']:>9.2f} s ({r['warm_cpu']:5.2f} s)",
            flush=True,
        )
    if results:
        largest = max(results, key=lambda n: results[n]["samples"])
        slowest = max(results, key=lambda n: results[n]["fresh"])
        verdict = "meets" if results[largest]["fresh"] < GOAL_SECONDS else "MISSES"
        print(
            f"largest study (most samples): {largest}, {results[largest]['fresh']:.2f} s: "
            f"{verdict} the goal of {GOAL_SECONDS:g} s; slowest: {slowest}, "
            f"{results[slowest]['fresh']:.2f} s ({results[slowest]['fresh_cpu']:.2f} s CPU)"
        )


if __name__ == "__main__":
    main()
