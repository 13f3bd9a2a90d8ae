"""The headline of issue 17: 10^7 samples with a 100-point field output.

The study of ``store_scale.py`` (a cheap vectorised model, ``u(k) = x1 sin(k x2 /
100)``, moments of every point), run with ``uqscale.run`` as a user would. Reported:
wall time, peak resident memory of the process tree (launcher and workers, sampled
every 0.1 s; goal under 3 GB), the run folder's size against the data's own size
(samples x points x 8 bytes; goal: the data once) and the seconds per stage.

Run: ``python benchmarks/scale_ten_million.py [SAMPLES]`` (default 10^7).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from common import positional
from store_scale import POINTS, PeakMemory, field_study

from uqscale.api import run


def main(samples: int) -> None:
    work = Path(tempfile.mkdtemp())
    study = field_study(work, samples)
    memory = PeakMemory()
    memory.start()
    began = time.perf_counter()
    result = run(study, work / "run", report=False)
    wall = time.perf_counter() - began
    memory.running = False
    memory.join()
    folder = sum(p.stat().st_size for p in (work / "run").rglob("*") if p.is_file())
    parts = sum(p.stat().st_size for p in (work / "run" / "parts").glob("*.nc"))
    data = samples * POINTS * 8
    print(
        f"{samples} samples x {POINTS}-point field: wall {wall:.1f} s, peak RSS "
        f"(launcher + workers) {memory.peak / 2**30:.2f} GB (goal < 3 GB), reached "
        f"{memory.peak_at:.0f} s in (launcher {memory.peak_launcher / 2**30:.2f} GB)"
    )
    print(
        f"  run folder {folder / 2**30:.2f} GB for {data / 2**30:.2f} GB of outputs "
        f"({folder / data:.2f} times; parts {parts / 2**30:.2f} GB, results.nc "
        f"{(work / 'run' / 'results.nc').stat().st_size / 2**10:.0f} kB), "
        f"{len(list((work / 'run' / 'parts').glob('*.nc')))} batches"
    )
    for stage, seconds in result.timings.items():
        print(f"  {stage:<15}{seconds:7.2f} s")
    shutil.rmtree(work)


if __name__ == "__main__":
    main(*positional((10**7,)))
