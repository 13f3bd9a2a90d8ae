"""Per-run cost of a small PCE study: uqscale against EasyVVUQ 1.3 (issue 17 point 4).

The study: Ishigami (three inputs uniform on [-pi, pi]), a polynomial chaos expansion
of order 6 by regression on 168 runs (twice the 84 terms: EasyVVUQ's point
collocation rule), the model a plain Python function called once per sample, then the
PCE's Sobol indices. Both ways, as a user writes them:

- EasyVVUQ: a ``Campaign`` with a ``PCESampler(regression=True)``, an ``ExecutePython``
  action, ``execute().collate()`` and ``PCEAnalysis``; run by the Python of its own
  venv (``--easyvvuq-python``, default ``/work/venvs/h17b-evvuq/bin/python``);
- uqscale: ``uqscale run study.yaml`` (``method: pce``, ``order: 6``, ``n: 168``,
  ``vectorized: false``), in-process as a small study is, or ``--cluster local``.

Each is one command in a fresh interpreter, alternated (EasyVVUQ, uqscale, uqscale
``--cluster local``, EasyVVUQ, ...). Printed per way, medians over the rounds: the
whole command in ms per run, the same less the bare interpreter's start (``python -c
pass`` of that interpreter, measured in the same rounds), and the ratios to EasyVVUQ.

Run: ``python benchmarks/overhead_easyvvuq.py [ROUNDS] [--easyvvuq-python PATH]``
(default 5 rounds), at normal priority. EasyVVUQ's venv: ``python3.11 -m venv
/work/venvs/h17b-evvuq && /work/venvs/h17b-evvuq/bin/pip install easyvvuq==1.3 six``
(six: the numpoly 1.1.3 that EasyVVUQ's chaospy 4.3.2 takes imports it without
declaring it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

from common import ROOT, command_seconds
from saltelli_vs_handwritten import ISHIGAMI

RUNS = 168

STUDY = (
    "study: ishigami_pce_168"
    + ISHIGAMI % "false"
    + """analysis:
  - {method: pce, order: 6, design: regression, n: 168}
"""
)

EASYVVUQ = textwrap.dedent("""
    import math, sys
    import chaospy as cp
    import easyvvuq as uq
    from easyvvuq.actions import Actions, ExecutePython

    def ishigami(params):
        x1, x2, x3 = params["x1"], params["x2"], params["x3"]
        y = math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
        return {"y": y}

    params = {x: {"type": "float", "default": 0.0} for x in ("x1", "x2", "x3")}
    campaign = uq.Campaign(
        name="ishigami", params=params, actions=Actions(ExecutePython(ishigami)),
        work_dir=sys.argv[1],
    )
    vary = {x: cp.Uniform(-math.pi, math.pi) for x in ("x1", "x2", "x3")}
    sampler = uq.sampling.PCESampler(vary=vary, polynomial_order=6, regression=True)
    assert sampler.n_samples == int(sys.argv[2]), sampler.n_samples
    campaign.set_sampler(sampler)
    campaign.execute().collate()
    results = campaign.analyse(qoi_cols=["y"])
    print(results.sobols_first("y"))
""")


def main(rounds: int, easyvvuq_python: str) -> None:
    work = Path(tempfile.mkdtemp())
    (work / "study.yaml").write_text(STUDY)
    (work / "evvuq.py").write_text(EASYVVUQ)
    uqscale = str(Path(sys.executable).with_name("uqscale"))
    study = str(work / "study.yaml")
    ways = {  # name: (its interpreter, its command in round i)
        "EasyVVUQ 1.3": (
            easyvvuq_python,
            lambda i: [easyvvuq_python, str(work / "evvuq.py"), str(work), str(RUNS)],
        ),
        "uqscale run": (
            sys.executable,
            lambda i: [uqscale, "run", study, "--quiet", "--out", str(work / f"a{i}")],
        ),
        "uqscale run --cluster local": (
            sys.executable,
            lambda i: [
                uqscale,
                "run",
                study,
                "--quiet",
                "--cluster",
                "local",
                "--out",
                str(work / f"b{i}"),
            ],
        ),
    }
    whole: dict[str, list[float]] = {name: [] for name in ways}
    start: dict[str, list[float]] = {name: [] for name in ways}
    for i in range(rounds):  # interleaved
        for name, (interpreter, command) in ways.items():
            start[name].append(command_seconds([interpreter, "-c", "pass"], cwd=work))
            whole[name].append(command_seconds(command(i), cwd=ROOT))
    shutil.rmtree(work)
    print(f"Ishigami PCE, order 6, {RUNS} runs, median of {rounds} interleaved rounds:")
    base = statistics.median(whole["EasyVVUQ 1.3"]) - statistics.median(start["EasyVVUQ 1.3"])
    for name in ways:
        total = statistics.median(whole[name])
        less = total - statistics.median(start[name])
        print(
            f"  {name:28s} {total / RUNS * 1e3:6.2f} ms per run whole command, "
            f"{less / RUNS * 1e3:6.2f} less interpreter start "
            f"(ratio to EasyVVUQ {less / base:.2f})"
        )
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=5)
    parser.add_argument("--easyvvuq-python", default="/work/venvs/h17b-evvuq/bin/python")
    given = parser.parse_args()
    main(given.rounds, given.easyvvuq_python)
