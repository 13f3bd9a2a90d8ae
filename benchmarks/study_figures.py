"""The indices the documentation's study pages draw: from finished run folders of the
study library, the main output's S1 and ST per method, with how they were produced.

    python benchmarks/study_library.py --out runs/library ishigami pkpd   # run them
    python benchmarks/study_figures.py runs/library/ishigami runs/library/pkpd

writes ``docs/studies/indices/NAME.json`` for each folder; the docs build draws the
bars from it (``docs/_ext/uqscale_docs.py``), so the figures are real runs' numbers and
say which run made them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common import ROOT
from study_library import main_output

TARGET = ROOT / "docs" / "studies" / "indices"
KEYS = ("S1", "ST", "S1_conf", "ST_conf")


def figure_data(folder: Path) -> dict:
    """What a study page shows of the run in ``folder``: its main scalar output's indices
    per method, the run's size and the command that reproduces it."""
    from uqscale.study import load_study

    study = load_study(folder / "study.yaml")
    indices = json.loads((folder / "indices.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    output = main_output(study)
    methods = {
        method: {k: entry[k] for k in KEYS if k in entry}
        for method, entry in indices["outputs"][output].items()
        if isinstance(entry, dict) and _scalar(entry.get("ST"))
    }
    return {
        "study": study.name,
        "output": output,
        "samples": indices["samples"],
        "failed": indices["failed"],
        "finished": provenance.get("finished"),
        "wall_seconds": sum(provenance.get("launch_seconds", [])) or None,
        "command": f"uqscale run studies/{folder.name}.yaml",
        "methods": methods,
    }


def _scalar(values: object) -> bool:
    """Whether ``values`` maps each input to one number (not a field or a sweep)."""
    return isinstance(values, dict) and all(isinstance(v, float | int) for v in values.values())


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="finished run folders")
    args = parser.parse_args(argv)
    TARGET.mkdir(parents=True, exist_ok=True)
    for folder in args.folders:
        data = figure_data(folder)
        if not data["methods"]:
            print(f"{folder.name}: no scalar indices of {data['output']}; skipped")
            continue
        path = TARGET / f"{folder.name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"{folder.name}: {data['output']} by {', '.join(data['methods'])} -> {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
