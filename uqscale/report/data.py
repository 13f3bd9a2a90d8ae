"""Everything a report shows, read from a finished run folder (no model runs).

A report is built from files only: ``study.yaml`` (through :meth:`RunStore.study`),
``provenance.json``, ``failures.json``, ``indices.json``, ``analyses.nc`` (one group
per ``label/output``) and, when present, ``verification.json`` (a list of ``{name,
output, expected, got, tolerance, passed}``, optionally ``error``, ``rtol``, ``at``,
``message``).

The kind of each analysis is its study method; analyses the study does not list (a
newer method, or a group added by hand) are recognised by their variables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import xarray as xr

from uqscale.errors import UqscaleError
from uqscale.store import ENGINE, RunStore, read_json
from uqscale.study.model import Study

NON_FIELD_DIMS = ("input", "input_b", "group", "q", "runs", "resolution", "factor")
"""Dims of analysis variables that are not the output's own field dims."""
STAMP = "%Y-%m-%dT%H:%M:%S%z"


@dataclass
class RunData:
    """A finished run, as the report needs it.

    Attributes
    ----------
    analyses
        ``{label: {output: Dataset}}``, loaded into memory.
    methods
        ``{label: kind}``: ``moments``, ``pce``, ``sobol``, ``morris``, ``greyzone``
        or another method name.
    """

    directory: Path
    study: Study
    provenance: dict[str, Any]
    indices: dict[str, Any]
    failures: list[dict[str, Any]]
    analyses: dict[str, dict[str, xr.Dataset]]
    methods: dict[str, str]
    verification: list[dict[str, Any]] | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)

    def of_kind(self, *kinds: str) -> list[tuple[str, str, xr.Dataset]]:
        """``(label, output, dataset)`` of every analysis of the given kinds, in study
        order, outputs in the order the models declare them."""
        order = {o.name: k for k, o in enumerate(self.study.outputs)}
        found = []
        for label, by_output in self.analyses.items():
            if self.methods[label] in kinds:
                for output in sorted(by_output, key=lambda o: order.get(o, len(order))):
                    found.append((label, output, by_output[output]))
        return found

    @property
    def outputs(self) -> list[str]:
        """Outputs with at least one analysis, in model order."""
        seen = {o for by_output in self.analyses.values() for o in by_output}
        return [o.name for o in self.study.outputs if o.name in seen]

    @property
    def scale_of(self) -> dict[str, str]:
        """Each input's scale group."""
        return {name: group for group, names in self.groups.items() for name in names}


def load_run(directory: str | Path) -> RunData:
    """Read a finished run folder.

    Raises
    ------
    UqscaleError
        When the folder is not a run folder or holds no analyses yet.
    """
    store = RunStore.open(Path(directory))
    folder = store.directory
    if not (folder / "analyses.nc").is_file() or not (folder / "indices.json").is_file():
        raise UqscaleError(f"{folder}: no analyses yet; finish the run with "
                           f"`uqscale resume {folder}` or `uqscale analyze {folder}`")
    study = store.study()
    analyses = read_analyses(folder / "analyses.nc")
    listed = {a.label: a.method for a in study.analysis}
    methods = {label: listed.get(label) or infer_kind(next(iter(by_output.values())))
               for label, by_output in analyses.items() if by_output}
    failures_path = folder / "failures.json"
    verification_path = folder / "verification.json"
    groups: dict[str, list[str]] = {}
    for item in study.inputs:
        groups.setdefault(item.scale or "unscaled", []).append(item.name)
    return RunData(
        directory=folder, study=study, provenance=store.provenance(),
        indices=read_json(folder / "indices.json"),
        failures=read_json(failures_path) if failures_path.is_file() else [],
        analyses={k: v for k, v in analyses.items() if k in methods}, methods=methods,
        verification=read_json(verification_path) if verification_path.is_file() else None,
        groups=groups)


def read_analyses(path: Path) -> dict[str, dict[str, xr.Dataset]]:
    """Every ``label/output`` group of ``analyses.nc``, loaded into memory."""
    tree = xr.open_datatree(path, engine=ENGINE)
    try:
        return {str(label): {str(output): node.to_dataset().load()
                             for output, node in by_label.children.items()}
                for label, by_label in tree.children.items()}
    finally:
        tree.close()


def infer_kind(dataset: xr.Dataset) -> str:
    """The analysis kind from a dataset's variables (for groups the study does not list).

    Examples
    --------
    >>> infer_kind(xr.Dataset({"mu_star": ("input", [1.0])}))
    'morris'
    """
    if "resolution" in dataset.dims and "sensitivity" in dataset:
        return "greyzone"
    if "mu_star" in dataset:
        return "morris"
    if "quantile" in dataset:
        return "moments"
    if "loo_error" in dataset or "terms" in dataset.attrs:
        return "pce"
    if "S1" in dataset:
        return "sobol"
    return "unknown"


def field_dims(array: xr.DataArray | xr.Dataset) -> list[str]:
    """The output's own field dims (time, space ...) among ``array``'s dims."""
    return [str(d) for d in array.dims if d not in NON_FIELD_DIMS]


def coordinate(array: xr.DataArray | xr.Dataset, dim: str) -> Any:
    """Values along ``dim``: its coordinate, else 0, 1, 2 ..."""
    import numpy as np

    return array[dim].values if dim in array.coords else np.arange(array.sizes[dim])


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds between two provenance time stamps (None when one is missing)."""
    if not start or not end:
        return None
    return (datetime.strptime(end, STAMP) - datetime.strptime(start, STAMP)).total_seconds()


def wall_seconds(provenance: dict[str, Any]) -> float | None:
    """Wall time the run's launcher sessions took, summed."""
    sessions = [seconds_between(s.get("started"), s.get("finished"))
                for s in provenance.get("sessions", [])]
    known = [s for s in sessions if s is not None]
    if known:
        return float(sum(known))
    return seconds_between(provenance.get("started"), provenance.get("finished"))


def dumps(value: Any) -> str:
    """Compact JSON text of a value, for provenance tables."""
    return json.dumps(value, separators=(", ", ": "), default=str)
