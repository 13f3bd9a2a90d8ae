"""Every shipped study's ``indices.json``, saved once and compared after a change.

    python benchmarks/indices_unchanged.py --save DIR     # run every study, keep its indices
    python benchmarks/indices_unchanged.py --check DIR    # run again, compare with DIR
    python benchmarks/indices_unchanged.py --check DIR --keep NEW   # and keep the new ones
    python benchmarks/indices_unchanged.py --compare DIR NEW   # compare two saved folders
    python benchmarks/indices_unchanged.py --save DIR --in-process ishigami   # without Dask
    python benchmarks/indices_unchanged.py --check DIR pkpd ishigami   # some studies

Each study runs as ``uqscale run studies/NAME.yaml --out RUN --quiet`` with the
overrides of ``SHRINK`` (the same before and after: they only make slow studies fit a
loaded two-core machine). The comparison is exact (every number bit for bit) and
ignores only keys that hold no result: ``IGNORED`` (none today: ``indices.json``
carries no timing or provenance) and ``"format"``, which the redesign adds.

``--in-process`` evaluates the whole design in this process (one batch, no Dask) and
analyses it as ``uqscale run`` does: the same numbers without the cluster's start-up,
for cheap models on a loaded machine (``--set`` overrides are not applied: full size).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT

SHRINK: dict[str, list[str]] = {
    "bioreactor": ["analysis.0.n=256"],
    "cardiac_fibrosis": ["analysis.0.n=64"],
    "codon_cascade": ["analysis.0.n=64"],
    "gfunction": ["analysis.0.n=2048"],
    "greenkubo_capillary": ["analysis.0.n=64"],
    "immune_agent_field": ["analysis.0.n=64"],
    "ishigami": ["analysis.1.n=2048"],
    "pkpd": ["analysis.0.n=128"],
    "pkpd_correlated": ["analysis.0.permutations=20", "analysis.0.n_var=100", "analysis.1.n=100"],
    "bioreactor_groups": ["analysis.0.n=64"],
    "tumour_nonlocal": ["analysis.1.n=128"],
}
"""``--set`` overrides of studies too slow for a loaded machine at their own size."""
IGNORED = frozenset({"format"})
"""Top-level keys that are not results (the format number is new in the redesign)."""


def run_indices(name: str, scratch: Path) -> tuple[dict[str, Any], float]:
    """The study's ``indices.json`` after a fresh run, and the run's wall seconds."""
    out = scratch / name
    overrides = [a for o in SHRINK.get(name, []) for a in ("--set", o)]
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uqscale.cli",
            "run",
            str(ROOT / "studies" / f"{name}.yaml"),
            "--out",
            str(out),
            "--quiet",
            *overrides,
        ],
        check=False,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - began
    return json.loads((out / "indices.json").read_text()), seconds


def in_process_indices(name: str, scratch: Path) -> tuple[dict[str, Any], float]:
    """The study's ``indices.json`` document, evaluated and analysed in this process."""
    from uqscale.analysis.run_all import analyze_all
    from uqscale.design import build_design, design_columns
    from uqscale.models.evaluate import Pipeline, evaluate_batch
    from uqscale.report.indices import indices_document
    from uqscale.store import RunStore
    from uqscale.study.files import load_study

    began = time.perf_counter()
    study = load_study(ROOT / "studies" / f"{name}.yaml")
    design = build_design(study)
    batch = evaluate_batch(
        Pipeline.from_study(study), 0, {n: design[n].values for n in design_columns(study)}
    )
    store = RunStore.create(scratch / name, study, "", design, {})
    store.write_batch(batch, {o.name: o.dims for o in study.outputs})
    results, failures = store.collect(
        design.sizes["sample"], {o.name: o.coords for o in study.outputs}
    )
    with results:
        document = indices_document(
            study.name, design.sizes["sample"], len(failures), analyze_all(study, design, results)
        )
    return document, time.perf_counter() - began


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, one line each (exact comparison of numbers)."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = [f"{where}/{k}: only before" for k in before.keys() - after.keys()]
        lines += [f"{where}/{k}: only after" for k in after.keys() - before.keys()]
        for key in sorted(before.keys() & after.keys()):
            lines += differences(before[key], after[key], f"{where}/{key}")
        return lines
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            line
            for k, (b, a) in enumerate(zip(before, after, strict=True))
            for line in differences(b, a, f"{where}[{k}]")
        ]
    return [] if before == after else [f"{where}: {before!r} -> {after!r}"]


def results(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the keys that are not results."""
    return {k: v for k, v in document.items() if k not in IGNORED}


def report(name: str, before: dict[str, Any], after: dict[str, Any], seconds: float) -> bool:
    """Print whether a study's indices changed (and where); True if they did."""
    lines = differences(results(before), results(after))
    verdict = "identical" if not lines else f"{len(lines)} differences"
    print(f"{name}: {verdict}" + (f" ({seconds:.0f} s)" if seconds else ""), flush=True)
    for line in lines[:20]:
        print("   ", line)
    return bool(lines)


def compare(before: Path, after: Path, names: list[str]) -> int:
    """Compare the indices of ``names`` saved in two folders; 1 if any changed."""
    changed = [
        report(
            name,
            json.loads((before / f"{name}.json").read_text()),
            json.loads((after / f"{name}.json").read_text()),
            0.0,
        )
        for name in names
    ]
    return 1 if any(changed) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="folder to keep the indices in")
    mode.add_argument("--check", type=Path, help="folder of indices saved before")
    mode.add_argument(
        "--compare",
        type=Path,
        nargs=2,
        metavar=("BEFORE", "AFTER"),
        help="compare two folders of saved indices (runs nothing)",
    )
    parser.add_argument("--keep", type=Path, help="with --check: keep the new indices here")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="evaluate in this process, without Dask (full size)",
    )
    parser.add_argument("names", nargs="*", help="study names (default: every study)")
    args = parser.parse_args()
    names = args.names or sorted(p.stem for p in (ROOT / "studies").glob("*.yaml"))
    if args.compare:
        sys.exit(compare(*args.compare, names))
    changed = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            runner = in_process_indices if args.in_process else run_indices
            document, seconds = runner(name, Path(scratch))
            for folder in (args.save, args.keep):
                if folder is not None:
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / f"{name}.json").write_text(json.dumps(document, indent=1))
            if args.save:
                print(f"{name}: saved ({seconds:.0f} s)", flush=True)
                continue
            saved = json.loads((args.check / f"{name}.json").read_text())
            changed += report(name, saved, document, seconds)
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
