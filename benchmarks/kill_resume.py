"""Time lost to a SIGKILL of the launcher and a resume, against an uninterrupted run.

A per-sample model costing 20 ms, 600 samples, 2 local workers. The interrupted run
is killed (launcher and its workers) once half the samples are stored, then
finished with ``uqscale resume``. Lost time = (time until the kill + resume time)
- uninterrupted time: the second cluster start-up plus the work in flight when the
launcher died.

Run: ``python benchmarks/kill_resume.py``
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import command_seconds

from uqscale.status import run_status

SAMPLES = 600
STUDY = f"""
study: kill_resume
seed: 2
inputs:
  x1: {{distribution: uniform, low: 0, high: 1}}
  x2: {{distribution: uniform, low: 0, high: 1}}
models:
  - {{name: work, python: "busy_bench:work", inputs: [x1, x2], outputs: [y]}}
analysis:
  - {{method: pce, order: 3, n: {SAMPLES}}}
execution: {{workers: 2}}
"""
MODEL = textwrap.dedent("""
    import time

    def work(x1, x2):
        end = time.perf_counter() + 0.02
        while time.perf_counter() < end:
            pass
        return {"y": x1 * x2}
""")


def main() -> None:
    work = Path(tempfile.mkdtemp())
    (work / "study.yaml").write_text(STUDY)
    (work / "busy_bench.py").write_text(MODEL)
    uqscale = str(Path(sys.executable).with_name("uqscale"))
    whole = command_seconds([uqscale, "run", "study.yaml", "--out", "whole", "--quiet"], work)

    began = time.perf_counter()
    launcher = subprocess.Popen(
        [uqscale, "run", "study.yaml", "--out", "cut", "--quiet"], cwd=work, start_new_session=True
    )
    while (
        not (work / "cut" / "provenance.json").exists()
        or run_status(work / "cut")["done"] < SAMPLES // 2
    ):
        time.sleep(0.05)
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.wait()
    until_kill = time.perf_counter() - began
    os.killpg(launcher.pid, signal.SIGKILL)
    stored = run_status(work / "cut")["done"]
    resumed = command_seconds([uqscale, "resume", "cut", "--quiet"], work)
    shutil.rmtree(work)
    print(f"{SAMPLES} samples x 20 ms, 2 workers:")
    print(f"  uninterrupted run:            {whole:.2f} s")
    print(f"  killed after {until_kill:.2f} s ({stored} samples stored), resume {resumed:.2f} s")
    print(f"  time lost to kill and resume: {until_kill + resumed - whole:.2f} s")


if __name__ == "__main__":
    main()
