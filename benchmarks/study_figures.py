"""The indices the documentation's study pages draw: from finished run folders of the
study library, the main output's indices, with how they were produced.

    python benchmarks/study_library.py --out runs/library ishigami pkpd   # run them
    python benchmarks/study_figures.py runs/library/ishigami runs/library/pkpd

writes ``docs/studies/indices/NAME.json`` for each study (NAME: the study's name) of
the folders; the docs build draws the figures from it (``docs/_ext/uqscale_docs.py``),
so the figures are real runs' numbers and say which run made them. Three kinds:

* scalar: the main output's S1 and ST per method (bars), and its Shapley effects (Sh,
  bars with their intervals) where a ``shapley`` analysis gives them, from
  ``indices.json``;
* field: a scalar study whose question is about a field output (:data:`FIELD_OUTPUTS`)
  also keeps that field's S1 and ST along its coordinate (the report's field figure,
  ``uqscale.report.fieldplots.field_indices``), from ``analyses.nc``;
* sweep: a main output swept over the grid spacing (a ``greyzone`` analysis): the
  report's grey-zone figure (mean and spread, total indices and resolution sensitivity
  along ``dx``), from the grey-zone dataset in ``analyses.nc``. Several folders of one
  study (the same sweep with another ``--set``) give one figure each, labelled by their
  ``--set`` options;
* assimilation: a twin (an ``assimilate:`` block): the report's figures of
  ``assimilation.nc``, the updated inputs per cycle (their prior, analysis band and
  truth) and the analysis RMSE and spread per cycle.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

from common import ROOT
from study_library import main_output

TARGET = ROOT / "docs" / "studies" / "indices"
KEYS = ("S1", "ST", "S1_conf", "ST_conf", "Sh", "Sh_conf")
"""What a scalar record keeps of each method: Sobol indices, or Shapley effects."""
FIELD_OUTPUTS = {
    "bioreactor": "oxygen",
    "immune_agent_field": "cytokine_profile",
    "tumour_nonlocal": "median_depth_t",
}
"""The field a study's question is about: the oxygen profile through the construct
(how far oxygen gets), the cytokine profile around the focus (contained or escalating),
the drug's penetration depth over time (how far it gets)."""
FIELD_VARIABLES = ("S1", "ST", "S1_conf", "ST_conf")
"""What the field figure draws (``uqscale.report.fieldplots.field_indices``)."""
SWEEP_VARIABLES = ("mean", "std", "S1", "ST", "sensitivity")
"""What the grey-zone figure draws (``uqscale.report.fieldplots.greyzone_curves``)."""
SWEEP_ATTRS = ("threshold", "grey_zone", "process_scale", "parameter")
TWIN_VARIABLES = (
    "time",
    "parameters_forecast",
    "parameters_analysis",
    "truth_parameters",
    "rmse",
    "spread",
)
"""What the assimilation figures draw (``uqscale.report.assimilation.parameter_figure``
and ``error_figure``; the inputs only where they are updated, not for a state twin);
the observations' and states' ensembles are left out."""
TWIN_ATTRS = ("method", "members", "inflation", "spinup", "against", "rmse_mean", "spread_mean")


def figure_data(folder: Path) -> dict:
    """What a study page shows of the run in ``folder``: its main output's indices (the
    scalar kind; the field kind adds the indices along its field), its grey-zone sweep
    (the sweep kind) or a twin's cycles (the assimilation kind), with the run's size and
    the command that reproduces it."""
    import yaml

    from uqscale.study import load_study

    twin = twin_dataset(folder)
    if twin is not None:  # its observation files are the study folder's, not the run's
        name = yaml.safe_load((folder / "study.yaml").read_text())["study"]
        return {"study": name, "kind": "assimilation", **run_facts(folder), "dataset": twin}
    study = load_study(folder / "study.yaml")
    output = main_output(study)
    sweep = sweep_dataset(folder, output)
    if sweep is not None:
        return {
            "study": study.name,
            "output": output,
            "kind": "sweep",
            "runs": [{**run_facts(folder), "dataset": sweep}],
        }
    indices = json.loads((folder / "indices.json").read_text())
    methods = {
        method: {k: entry[k] for k in KEYS if k in entry}
        for method, entry in indices["outputs"][output].items()
        if isinstance(entry, dict) and (_scalar(entry.get("ST")) or _scalar(entry.get("Sh")))
    }
    record = {"study": study.name, "output": output, **run_facts(folder), "methods": methods}
    field = field_dataset(folder, FIELD_OUTPUTS.get(study.name))
    return record | {"kind": "field", "field": field} if field else record


def twin_dataset(folder: Path) -> dict | None:
    """What the assimilation figures draw of a twin's ``assimilation.nc``, with the
    normalised innovations' variance (``innovation_variance``, 1 for a consistent
    filter) as :meth:`xarray.Dataset.to_dict`; None for a run that did not assimilate.
    """
    import numpy as np

    from uqscale.report.assimilation import read_assimilation

    ds = read_assimilation(folder)
    if ds is None:
        return None
    variance = float(np.nanvar(ds["normalised_innovation"].values))
    state = ds.attrs.get("update") == "state"  # its inputs are carried, not updated
    kept = ds[[v for v in TWIN_VARIABLES if v in ds and not (state and "parameter" in ds[v].dims)]]
    kept.attrs = {k: _plain(ds.attrs[k]) for k in TWIN_ATTRS if k in ds.attrs}
    kept.attrs["innovation_variance"] = variance
    return _listed(kept)


def field_dataset(folder: Path, output: str | None) -> dict | None:
    """The Sobol indices of field ``output`` along its coordinate (what the field
    figure draws): ``{"output", "dim", "method", "dataset"}`` with the dataset as
    :meth:`xarray.Dataset.to_dict`; None without such an analysis.

    Parameters
    ----------
    folder
        A finished run folder.
    output
        The field output (None: the study has none to show).

    Returns
    -------
    dict or None
        The field's indices and where they come from.
    """
    from uqscale.report.data import field_dims, read_analyses

    if output is None:
        return None
    tree = read_analyses(folder / "analyses.nc")
    for method, node in tree.children.items():
        if output in node.children and "ST" in node[output].dataset:
            ds = node[output].to_dataset()
            ds = ds[[v for v in FIELD_VARIABLES if v in ds]]
            ds.attrs = {}
            dim = field_dims(ds)[0]
            return {"output": output, "dim": dim, "method": method, "dataset": _listed(ds)}
    return None


def _listed(ds: Any) -> dict:
    """``ds`` as :meth:`xarray.Dataset.to_dict` with plain lists, NaN (an index where
    the field does not vary) as None."""
    return _finite(ds.to_dict(data="list"))


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float, however deeply nested, as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def run_facts(folder: Path) -> dict[str, Any]:
    """Samples, failures, when it finished, its wall time and its command line."""
    indices = json.loads((folder / "indices.json").read_text())
    provenance = json.loads((folder / "provenance.json").read_text())
    return {
        "samples": indices["samples"],
        "failed": indices["failed"],
        "finished": provenance.get("finished"),
        "wall_seconds": sum(provenance.get("launch_seconds", [])) or None,
        "command": command_line(provenance.get("command", []), folder.name),
        "label": " ".join(settings(provenance.get("command", []))) or "as in the study file",
    }


def command_line(argv: list[str], name: str) -> str:
    """``uqscale run studies/FILE --set ...`` as the run was launched (its output folder
    and ``--quiet`` left out); ``studies/NAME.yaml`` when provenance has no command.

    Parameters
    ----------
    argv
        The launch's command line as provenance stores it.
    name
        The study file's stem, for a run without a stored command.

    Returns
    -------
    str
        The command that reproduces the run.
    """
    if "run" not in argv:
        return f"uqscale run studies/{name}.yaml"
    study = Path(argv[argv.index("run") + 1]).name
    return " ".join(["uqscale run", f"studies/{study}", *settings(argv)])


def settings(argv: list[str]) -> list[str]:
    """The ``--set KEY=VALUE`` options of a stored command line."""
    return [f"--set {value}" for option, value in itertools.pairwise(argv) if option == "--set"]


def sweep_dataset(folder: Path, output: str) -> dict | None:
    """The grey-zone dataset of ``output`` (what its figure draws) as
    :meth:`xarray.Dataset.to_dict`, or None when the run has no sweep of it."""
    from uqscale.report.data import read_analyses
    from uqscale.report.quality import worst_point

    tree = read_analyses(folder / "analyses.nc")
    if output not in tree.children.get("greyzone", {}):
        return None
    ds, _ = worst_point(tree["greyzone"][output].to_dataset())
    ds = ds[[v for v in SWEEP_VARIABLES if v in ds]]
    ds.attrs = {k: _plain(ds.attrs[k]) for k in SWEEP_ATTRS if k in ds.attrs}
    ds.attrs = {k: v for k, v in ds.attrs.items() if v is not None}
    return ds.to_dict(data="list")


def _plain(value: Any) -> Any:
    """An attribute as JSON holds it (arrays as lists; NaN as None)."""
    import numpy as np

    value = np.asarray(value).tolist() if not isinstance(value, str) else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _scalar(values: object) -> bool:
    """Whether ``values`` maps each input to one number (not a field or a sweep)."""
    return isinstance(values, dict) and all(isinstance(v, float | int) for v in values.values())


def write(records: list[dict]) -> Path:
    """One study's JSON from its folders' records (sweeps: one run each, in order).

    Parameters
    ----------
    records
        :func:`figure_data` of folders of the same study.

    Returns
    -------
    Path
        The file written.
    """
    data = records[0]
    if data.get("kind") == "sweep":
        data = {**data, "runs": [run for record in records for run in record["runs"]]}
    elif len(records) > 1:
        sys.exit(f"{data['study']}: {len(records)} runs of a scalar study; give one")
    path = TARGET / f"{data['study']}.json"
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    return path


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="finished run folders")
    args = parser.parse_args(argv)
    TARGET.mkdir(parents=True, exist_ok=True)
    studies: dict[str, list[dict]] = {}
    for folder in args.folders:
        data = figure_data(folder)
        if data.get("kind") is None and not data["methods"]:
            print(f"{folder.name}: no scalar indices or sweep of {data['output']}; skipped")
            continue
        studies.setdefault(data["study"], []).append(data)
    for name, records in studies.items():
        path = write(records)
        kind = records[0].get("kind", "scalar")
        print(f"{name}: {records[0].get('output', '-')} ({kind}, {len(records)} run(s)) -> {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
