"""Figures of the study library: for each study, the cost of one sample, the wall time
of its default run and the largest total indices of its main output.

    python benchmarks/study_library.py                  # every studies/*.yaml
    python benchmarks/study_library.py pkpd bioreactor  # some of them
    python benchmarks/study_library.py --out runs/library   # keep the run folders

Each study runs as a user runs it (``uqscale run studies/NAME.yaml --out DIR``, the
study's own execution settings); the indices come from ``DIR/indices.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

MAIN_OUTPUTS = {"codon_cascade": "log_loss_time", "pkpd": "biomarker_peak",
                "bioreactor": "hypoxic_fraction", "immune_agent_field": "activated_fraction"}
"""The main macro output of a study; others: the first scalar output of the last step."""
METHODS = ("sobol", "pce")
"""Where the indices are read from, first found first."""


def main_output(study) -> str:
    """The output whose indices a study is summarised by."""
    if study.name in MAIN_OUTPUTS:
        return MAIN_OUTPUTS[study.name]
    from uqscale.study.graph import step_order

    last = study.models[step_order(study.models, study.input_names)[-1]]
    return next((o.name for o in last.outputs if not o.dims), last.outputs[0].name)


def one_sample_seconds(study, repeats: int = 3) -> float:
    """CPU time of one sample at the inputs' medians, in this process (after one call
    to import the models), the best of ``repeats`` (CPU time: other jobs on the
    machine inflate wall times, not this)."""
    import numpy as np

    from uqscale.models.evaluate import Pipeline, evaluate_batch
    from uqscale.verify import medians

    pipeline = Pipeline.from_study(study)
    inputs = {name: np.array([value]) for name, value in medians(study).items()}
    evaluate_batch(pipeline, 0, inputs)
    times = []
    for _ in range(repeats):
        began = time.process_time()
        evaluate_batch(pipeline, 0, inputs)
        times.append(time.process_time() - began)
    return min(times)


def summary(study, folder: Path) -> dict:
    """Samples, model seconds per sample, the top three ST and the micro group's ST."""
    indices = json.loads((folder / "indices.json").read_text())
    seconds = json.loads((folder / "provenance.json").read_text())["seconds"]
    output = main_output(study)
    methods = indices["outputs"].get(output, {})
    method = next((m for m in METHODS if m in methods), None)
    entry = methods.get(method, {})
    totals = sorted(entry.get("ST", {}).items(), key=lambda kv: -(kv[1] or 0))[:3]
    micro = entry.get("groups", {}).get("ST", {}).get("micro")
    return {"samples": indices["samples"], "failed": indices["failed"],
            "model_per_sample": seconds.get("model", 0.0) / max(indices["samples"], 1),
            "output": output, "method": method, "top_st": totals, "st_micro": micro}


def run_study(path: Path, out: Path) -> float:
    """Wall seconds of ``uqscale run`` on the study (which must succeed)."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "uqscale.cli", "run", str(path), "--out", str(out),
                    "--quiet"], check=True, cwd=ROOT)
    return time.perf_counter() - began


def report(name: str, alone: float, wall: float, found: dict) -> str:
    tops = ", ".join(f"{k} {v:.2f}" for k, v in found["top_st"])
    micro = "-" if found["st_micro"] is None else f"{found['st_micro']:.2f}"
    return (f"{name}: one sample {alone * 1e3:.1f} ms CPU alone, "
            f"{found['model_per_sample'] * 1e3:.2f} ms wall in the run; "
            f"{found['samples']} samples ({found['failed']} failed) in {wall:.1f} s; "
            f"{found['output']} [{found['method']}] ST: {tops}; ST(micro) {micro}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="study names (default: every study)")
    parser.add_argument("--out", type=Path, help="keep the run folders here")
    args = parser.parse_args()
    from uqscale.study.files import load_study

    paths = [ROOT / "studies" / f"{n}.yaml" for n in args.names] or \
        sorted((ROOT / "studies").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as scratch:
        base = args.out or Path(scratch)
        for path in paths:
            study = load_study(path)
            alone = one_sample_seconds(study)
            out = base / study.name
            wall = run_study(path, out)
            load = os.getloadavg()[0]
            print(report(study.name, alone, wall, summary(study, out))
                  + f" (load average {load:.1f})", flush=True)


if __name__ == "__main__":
    main()
