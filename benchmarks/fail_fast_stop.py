"""Time from start to the fail-fast stop for a broken model of 20 ms a sample.

A per-sample model that works 20 ms and then raises (a unit mistake the signature
check cannot see) runs through ``uqscale.run`` on one 2-worker LocalCluster started
beforehand (its start is reported apart: on a loaded machine it dominates). A:
``execution.fail_fast`` on (the default): the run stops with StoppedEarlyError; B:
off, the whole design of SAMPLES samples runs, every one failing. Interleaved A, B,
A, B; reports the wall seconds from calling ``uqscale.run`` to its end, and the
samples stored when A stopped.

Run: ``python benchmarks/fail_fast_stop.py [SAMPLES] [REPEATS]``
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import uqscale
from uqscale.errors import StoppedEarlyError
from uqscale.execute.cluster import open_client
from uqscale.store import RunStore
from uqscale.study.model import Execution

MODEL = """
import time

def broken(x1, x2):
    time.sleep(0.020)
    raise ValueError("concentration must be positive (got a dose in mg, not g)")
"""


def study(folder: Path, samples: int, fail_fast: bool) -> uqscale.Study:
    return uqscale.Study.from_dict(
        {
            "study": "broken",
            "seed": 1,
            "inputs": {
                "x1": {"distribution": "uniform", "low": 0, "high": 1},
                "x2": {"distribution": "uniform", "low": 0, "high": 1},
            },
            "models": [
                {
                    "name": "dose",
                    "python": "brokenmodel_uq:broken",
                    "inputs": ["x1", "x2"],
                    "outputs": ["y"],
                }
            ],
            "analysis": [{"method": "moments", "n": samples}],
            "execution": {"workers": 2, "fail_fast": fail_fast},
        },
        folder,
    )


def once(client, folder: Path, samples: int, fail_fast: bool) -> tuple[float, int]:
    """Wall seconds of one run and the samples it stored."""
    out = folder / f"run-{fail_fast}-{time.monotonic_ns()}"
    began = time.perf_counter()
    with contextlib.suppress(StoppedEarlyError):
        uqscale.run(study(folder, samples, fail_fast), out, client=client, report=False)
    seconds = time.perf_counter() - began
    stored = int(RunStore.open(out).sample_state(samples)[0].sum())
    shutil.rmtree(out)
    return seconds, stored


def main(samples: int, repeats: int) -> None:
    folder = Path(tempfile.mkdtemp())
    (folder / "brokenmodel_uq.py").write_text(MODEL)
    stops, fulls, stored = [], [], []
    began = time.perf_counter()
    with open_client(Execution(workers=2)) as client:
        started = time.perf_counter() - began
        for _ in range(repeats):
            seconds, count = once(client, folder, samples, True)
            stops.append(seconds)
            stored.append(count)
            fulls.append(once(client, folder, samples, False)[0])
    shutil.rmtree(folder)
    print(
        f"broken model, 20 ms a sample, {samples} samples, 2 workers, {repeats} repeats; "
        f"cluster start {started:.2f} s (not included below)"
    )
    print(
        f"A fail_fast on : stopped after {statistics.median(stops):.2f} s (median; "
        f"{min(stops):.2f}-{max(stops):.2f}), {statistics.median(stored):.0f} samples stored"
    )
    print(
        f"B fail_fast off: every sample failed after {statistics.median(fulls):.2f} s "
        f"(median; {min(fulls):.2f}-{max(fulls):.2f})"
    )
    print(f"A / B = {statistics.median(stops) / statistics.median(fulls):.3f}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 2,
    )
