"""Figures of the study library: for each study, the cost of one sample, the wall time
of its default run and the largest total indices of its main output.

    python benchmarks/study_library.py                  # every studies/*.yaml
    python benchmarks/study_library.py pkpd bioreactor  # some of them
    python benchmarks/study_library.py --out runs/library   # keep the run folders

    python benchmarks/study_library.py --figures runs/library/codon_cascade
                                         # only the phenomenon figures of a run folder
    python benchmarks/study_library.py --draws 96 immune_agent_field
                                         # phenomenon shares from 96 random draws of
                                         # the inputs, evaluated in this process

Each study runs as a user runs it (``uqscale run studies/NAME.yaml --out DIR``, the
study's own execution settings); the indices come from ``DIR/indices.json``, and the
share of the design showing each study's phenomenon (collapse and washout, escalation,
re-entry, the variance the dimensionless groups explain) from ``DIR/results.nc`` and
``DIR/design.nc`` (every point of a Saltelli design is a draw from the inputs' joint
distribution, so shares over all samples estimate shares of the input box).
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

MAIN_OUTPUTS = {
    "codon_cascade": "log_loss_time",
    "pkpd": "biomarker_peak",
    "pkpd_correlated": "biomarker_peak",
    "bioreactor": "hypoxic_fraction",
    "immune_agent_field": "inflamed_area",
    "cardiac_fibrosis": "vulnerable_window",
}
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
    return {
        "samples": indices["samples"],
        "failed": indices["failed"],
        "model_per_sample": seconds.get("model", 0.0) / max(indices["samples"], 1),
        "output": output,
        "method": method,
        "top_st": totals,
        "st_micro": micro,
    }


def run_study(path: Path, out: Path) -> float:
    """Wall seconds of ``uqscale run`` on the study (which must succeed)."""
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "uqscale.cli", "run", str(path), "--out", str(out), "--quiet"],
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - began


def _open(folder: Path):
    import xarray as xr

    with (
        xr.open_dataset(folder / "results.nc") as results,
        xr.open_dataset(folder / "design.nc") as design,
    ):
        return results.load(), design.load()


def _share(mask) -> str:
    return f"{100 * float(mask.mean()):.1f} %"


def _top(indices: dict, output: str, key: str = "ST", count: int = 3) -> str:
    entry = indices["outputs"].get(output, {}).get("sobol", {})
    ranked = sorted(entry.get(key, {}).items(), key=lambda kv: -(kv[1] or 0))[:count]
    return ", ".join(f"{k} {v:.2f}" for k, v in ranked) or "-"


def _explained(y, groups, bins: int = 24) -> float:
    """``Var(E[y | groups]) / Var(y)`` from samples: the mean of ``y`` in each cell of
    quantile bins of the groups (``bins`` per group)."""
    import numpy as np

    cell = np.zeros(len(y), dtype=int)
    for values in groups:
        edges = np.quantile(values, np.linspace(0, 1, bins + 1))
        cell = cell * bins + np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    means = np.bincount(cell, y) / np.maximum(np.bincount(cell), 1)
    return float(np.var(means[cell]) / np.var(y))


def phenomena(name: str, folder: Path) -> str:
    """The figures of the phenomenon a study is named for, from its run folder."""
    import numpy as np

    results, design = _open(folder)
    indices = json.loads((folder / "indices.json").read_text())
    if name == "codon_cascade":
        collapse = results.functional_fraction < np.exp(-1)
        return (
            f"collapse (functional fraction < 1/e) {_share(collapse)}, growth below "
            f"half the wild type's {_share(results.max_growth_rate < 0.4)}, washout "
            f"{_share(results.washout == 1)}, takeover {_share(results.takeover == 1)}; "
            f"washout ST: {_top(indices, 'washout')}"
        )
    if name == "immune_agent_field":
        return (
            f"escalated {_share(results.escalated == 1)}; ST of escalated: "
            f"{_top(indices, 'escalated')}; S1: {_top(indices, 'escalated', 'S1')}; "
            f"inflamed_area ST: {_top(indices, 'inflamed_area')}"
        )
    if name == "cardiac_fibrosis":
        reentry = results.reentry.values
        thirds = []
        for key in ("conductivity", "fibrosis", "tau_close", "tau_in"):
            edges = np.quantile(design[key].values, [1 / 3, 2 / 3])
            third = np.searchsorted(edges, design[key].values)
            thirds.append(
                f"{key} " + "/".join(f"{reentry[third == k].mean():.2f}" for k in range(3))
            )
        return (
            f"P(re-entry) {reentry.mean():.2f}; by input tercile (low/mid/high): "
            f"{'; '.join(thirds)}; mean vulnerable window "
            f"{float(results.vulnerable_window.mean()):.1f} ms, re-entry duration "
            f"{float(results.reentry_duration.mean()):.0f} ms; ST of reentry: "
            f"{_top(indices, 'reentry', count=7)}; S1: {_top(indices, 'reentry', 'S1', 7)}; "
            f"ST of reentry_duration: {_top(indices, 'reentry_duration', count=4)}; "
            f"ST of vulnerable_window: {_top(indices, 'vulnerable_window', count=4)}; "
            f"ST of cv: {_top(indices, 'cv', count=3)}"
        )
    if name == "bioreactor":
        y = results.hypoxic_fraction.values
        da, pe = np.log(results.damkohler.values), np.log(results.peclet.values)
        return (
            f"Var(E[hypoxic | Da, Pe]) / Var = {_explained(y, [da, pe]):.3f} "
            f"(Da alone {_explained(y, [da], 200):.3f}, Pe alone "
            f"{_explained(y, [pe], 200):.3f})"
        )
    return ""


DECIDING = {
    "immune_agent_field": "escalated",
    "cardiac_fibrosis": "reentry",
    "codon_cascade": "washout",
}
"""The 0/1 output whose share a study's phenomenon is."""


def draws(study, count: int, seed: int = 1) -> str:
    """Share of ``count`` random draws of the inputs (evaluated in this process, no
    cluster: where a loaded machine cannot afford a Saltelli run) showing the study's
    phenomenon, and for each input the difference of that share between the draws in
    its upper and its lower half (the inputs that decide it, crudely)."""
    import numpy as np

    from uqscale.models.evaluate import Pipeline, evaluate_batch
    from uqscale.space import InputSpace

    space = InputSpace(study.inputs)
    values = space.to_physical(np.random.default_rng(seed).random((count, space.dimension)))
    inputs = {name: values[:, j] for j, name in enumerate(space.names)}
    began = time.process_time()
    batch = evaluate_batch(Pipeline.from_study(study), 0, inputs)
    seconds = time.process_time() - began
    shown = np.asarray(batch.outputs[DECIDING[study.name]], dtype=float)
    contrasts = []
    for name, column in inputs.items():
        upper = column > np.median(column)
        contrasts.append((name, shown[upper].mean() - shown[~upper].mean()))
    contrasts.sort(key=lambda kv: -abs(kv[1]))
    half = 1.96 * np.sqrt(shown.mean() * (1 - shown.mean()) / count)
    return (
        f"{DECIDING[study.name]} in {shown.mean():.3f} +- {half:.3f} of {count} draws "
        f"({len(batch.failures)} failed; {seconds / count:.2f} s CPU a sample); share "
        f"upper minus lower half: " + ", ".join(f"{k} {v:+.2f}" for k, v in contrasts)
    )


def report(name: str, alone: float, wall: float, found: dict) -> str:
    tops = ", ".join(f"{k} {v:.2f}" for k, v in found["top_st"])
    micro = "-" if found["st_micro"] is None else f"{found['st_micro']:.2f}"
    return (
        f"{name}: one sample {alone * 1e3:.1f} ms CPU alone, "
        f"{found['model_per_sample'] * 1e3:.2f} ms wall in the run; "
        f"{found['samples']} samples ({found['failed']} failed) in {wall:.1f} s; "
        f"{found['output']} [{found['method']}] ST: {tops}; ST(micro) {micro}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="study names (default: every study)")
    parser.add_argument("--out", type=Path, help="keep the run folders here")
    parser.add_argument(
        "--draws",
        type=int,
        metavar="N",
        help="only evaluate N random draws of the inputs in this process",
    )
    parser.add_argument(
        "--figures",
        type=Path,
        metavar="DIR",
        help="only print the phenomenon figures of this run folder",
    )
    args = parser.parse_args()
    from uqscale.study.files import load_study

    if args.figures:
        print(phenomena(load_study(args.figures / "study.yaml").name, args.figures))
        return
    paths = [ROOT / "studies" / f"{n}.yaml" for n in args.names] or sorted(
        (ROOT / "studies").glob("*.yaml")
    )
    if args.draws:
        for path in paths:
            print(f"{path.stem}: {draws(load_study(path), args.draws)}", flush=True)
        return
    with tempfile.TemporaryDirectory() as scratch:
        base = args.out or Path(scratch)
        for path in paths:
            study = load_study(path)
            alone = one_sample_seconds(study)
            out = base / study.name
            wall = run_study(path, out)
            load = os.getloadavg()[0]
            print(
                report(study.name, alone, wall, summary(study, out))
                + f" (load average {load:.1f})",
                flush=True,
            )
            if found := phenomena(study.name, out):
                print(f"  {found}", flush=True)


if __name__ == "__main__":
    main()
