"""Overhead per sample of a ``command:`` step over running the program by hand.

A trivial C program reads a parameter file (``x VALUE``) and writes ``{"y": 2 x}`` to
out.json. It runs RUNS times:

* by a bash ``for`` loop, bare (the same parameter file every time), and with a
  fresh directory and parameter file per run, as a careful hand-written loop would;
* by uqscale's ``evaluate_batch`` in this process (render the template, make the
  work directory, run without a shell, read the JSON, remove the directory);
* by ``uqscale.run`` on a 2-worker LocalCluster started beforehand (the model time
  the workers report, and the wall time including sampling, storing and analysis).

Overhead = uqscale's time per sample minus the bare loop's. Goal: under 20 ms per
sample, templating and parsing included.

Run: ``python benchmarks/command_overhead.py [RUNS]``
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import uqscale
from uqscale.models.evaluate import Pipeline, evaluate_batch

PROGRAM = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    double x = 0.0;
    FILE *in = fopen(argv[1], "r"), *out;
    if (in == NULL || fscanf(in, "x %lf", &x) != 1) return 2;
    fclose(in);
    if ((out = fopen("out.json", "w")) == NULL) return 2;
    fprintf(out, "{\"y\": %.17g}\n", 2.0 * x);
    return fclose(out) != 0;
}
"""
REPEATS = 3
WORKERS = 2


def build(folder: Path, runs: int) -> uqscale.Study:
    """Compile the program into ``folder`` and return a study running it."""
    (folder / "double.c").write_text(PROGRAM)
    subprocess.run(
        ["cc", "-O2", "-o", str(folder / "double"), str(folder / "double.c")], check=True
    )
    (folder / "params.in").write_text("x $x\n")
    return uqscale.Study.from_dict(
        {
            "study": "command_overhead",
            "seed": 1,
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [
                {
                    "name": "double",
                    "command": ["./double", "params.txt"],
                    "inputs": ["x"],
                    "files": {"params.txt": "params.in"},
                    "results": {"file": "out.json"},
                    "outputs": ["y"],
                }
            ],
            "analysis": [{"method": "moments", "n": runs, "rule": "random"}],
        },
        base_dir=folder,
    )


def bash_seconds(script: str, folder: Path) -> float:
    """Best wall time of a bash script run in ``folder``."""

    def once() -> float:
        began = time.perf_counter()
        subprocess.run(["bash", "-c", script], check=True, cwd=folder)
        return time.perf_counter() - began

    return min(once() for _ in range(REPEATS))


def in_process_seconds(study: uqscale.Study, folder: Path, runs: int) -> float:
    """Best wall time of evaluate_batch over ``runs`` samples, without Dask."""
    pipeline = Pipeline.from_study(study, workdir_root=folder / "work")
    x = np.random.default_rng(1).random(runs)
    best = float("inf")
    for _ in range(REPEATS):
        began = time.perf_counter()
        batch = evaluate_batch(pipeline, 0, {"x": x})
        best = min(best, time.perf_counter() - began)
        assert not batch.failures and np.array_equal(batch.outputs["y"], 2 * x)
    return best


def dask_run(study: uqscale.Study, folder: Path) -> uqscale.RunResult:
    """uqscale.run on a running 2-worker cluster; ``timings["wall"]`` added."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        began = time.perf_counter()
        result = uqscale.run(study, folder / "run", client=client)
        result.timings["wall"] = time.perf_counter() - began
    assert not result.failures
    return result


def main(runs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="command_overhead-"))
    try:
        study = build(folder, runs)
        bare = bash_seconds(
            f"printf 'x 0.5\\n' > params.txt\nfor i in $(seq {runs}); do ./double params.txt; done",
            folder,
        )
        by_hand = bash_seconds(
            f"for i in $(seq {runs}); do mkdir s$i && cd s$i && "
            f"printf 'x 0.%s\\n' $i > params.txt && ../double params.txt && cd ..; done; "
            f"rm -rf s*",
            folder,
        )
        ours = in_process_seconds(study, folder, runs)
        timings = dask_run(study, folder).timings
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ms = {
        name: seconds / runs * 1e3
        for name, seconds in [
            ("bash loop, bare", bare),
            ("bash loop, fresh dir + params file", by_hand),
            ("uqscale evaluate_batch, in process", ours),
            (f"uqscale.run, {WORKERS} workers: model time (summed) / samples", timings["model"]),
            (f"uqscale.run, {WORKERS} workers: wall / samples", timings["wall"]),
        ]
    }
    print(f"{runs} runs of a trivial C program (best of {REPEATS} where repeated)")
    for name, value in ms.items():
        print(f"  {name:<56}{value:8.3f} ms per sample")
    print(
        "  uqscale.run stages: "
        + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in timings.items())
    )
    base = ms["bash loop, bare"]
    in_process = ms["uqscale evaluate_batch, in process"] - base
    on_workers = timings["model"] / runs * 1e3 - base
    print(
        f"overhead per sample over the bare bash loop: {in_process:.3f} ms in process, "
        f"{on_workers:.3f} ms on the workers (goal < 20 ms)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
