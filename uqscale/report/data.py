"""Everything a report shows, read from a finished run folder (no model runs).

A report is built from files only: ``study.yaml`` (through :meth:`RunStore.study`),
``provenance.json``, ``failures.json``, ``indices.json``, ``analyses.nc`` (the tree of
:func:`uqscale.analysis.run_all.analyze_all`: a group per ``label/output``, the label's
attrs naming its method) and, when present, ``verification.json`` (a list of ``{name,
output, expected, got, tolerance, passed}``, optionally ``error``, ``rtol``, ``at``,
``message``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import xarray as xr

from uqscale.analysis.dims import field_dims
from uqscale.analysis.method import Method
from uqscale.analysis.registry import method_of
from uqscale.analysis.run_all import datasets
from uqscale.errors import UqscaleError
from uqscale.store import ENGINE, RunStore, read_json
from uqscale.study.model import Study

__all__ = ["RunData", "coordinate", "field_dims", "load_run"]
STAMP = "%Y-%m-%dT%H:%M:%S%z"


@dataclass
class RunData:
    """A finished run, as the report needs it.

    Attributes
    ----------
    analyses
        ``{label: {output: Dataset}}`` of the analyses computed, loaded into memory.
    methods
        ``{label: Method}``.
    """

    directory: Path
    study: Study
    provenance: dict[str, Any]
    indices: dict[str, Any]
    failures: list[dict[str, Any]]
    analyses: dict[str, dict[str, xr.Dataset]]
    methods: dict[str, Method]
    verification: list[dict[str, Any]] | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)

    def of_method(self, method: Method) -> list[tuple[str, str, xr.Dataset]]:
        """``(label, output, dataset)`` of every analysis by ``method``, in study order,
        outputs in the order the models declare them."""
        return self.where(lambda m: m is method)

    def where(self, test: Callable[[Method], bool]) -> list[tuple[str, str, xr.Dataset]]:
        """``(label, output, dataset)`` of every analysis whose method passes ``test``
        (study order; outputs in the order the models declare them)."""
        order = {o.name: k for k, o in enumerate(self.study.outputs)}
        found = []
        for label, by_output in self.analyses.items():
            if test(self.methods[label]):
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
        raise UqscaleError(
            f"{folder}: no analyses yet; finish the run with "
            f"`uqscale resume {folder}` or `uqscale analyze {folder}`"
        )
    study = store.study()
    tree = read_analyses(folder / "analyses.nc")
    analyses = {label: by_output for label, by_output in datasets(tree).items() if by_output}
    methods = _methods(folder, study, tree, analyses)
    failures_path = folder / "failures.json"
    verification_path = folder / "verification.json"
    groups: dict[str, list[str]] = {}
    for item in study.inputs:
        groups.setdefault(item.scale or "unscaled", []).append(item.name)
    return RunData(
        directory=folder,
        study=study,
        provenance=store.provenance(),
        indices=read_json(folder / "indices.json"),
        failures=read_json(failures_path) if failures_path.is_file() else [],
        analyses={k: v for k, v in analyses.items() if k in methods},
        methods=methods,
        verification=read_json(verification_path) if verification_path.is_file() else None,
        groups=groups,
    )


def _methods(
    folder: Path, study: Study, tree: xr.DataTree, labels: Iterable[str]
) -> dict[str, Method]:
    """The method of each analysis; one of a method this uqscale does not know is left
    out of the report, with a warning."""
    # Runs stored before analyses.nc named its methods: the study's, or the label's.
    listed = {a.label: a.method for a in study.analysis}
    methods = {}
    for label in labels:
        name = str(tree[label].attrs.get("method") or listed.get(label, label))
        try:
            methods[label] = method_of(name)
        except KeyError:
            warnings.warn(
                f"{folder}: analysis '{label}' is by the unknown method '{name}' and is not shown",
                UserWarning,
                stacklevel=3,
            )
    return methods


def read_analyses(path: Path) -> xr.DataTree:
    """The tree stored in ``analyses.nc``, loaded into memory (the file is closed)."""
    with xr.open_datatree(path, engine=ENGINE) as tree:
        return tree.load().copy()


def coordinate(array: xr.DataArray | xr.Dataset, dim: str) -> Any:
    """Values along ``dim``: its coordinate, else 0, 1, 2 ...

    Parameters
    ----------
    array
        An analysis result (or one of its variables) that has the dim ``dim``.
    dim
        The dim's name.

    Returns
    -------
    numpy.ndarray
        One value per position along ``dim``.
    """
    import numpy as np

    return array[dim].values if dim in array.coords else np.arange(array.sizes[dim])


def seconds_between(start: str | None, end: str | None) -> float | None:
    """Seconds between two provenance time stamps (None when one is missing).

    Parameters
    ----------
    start
        The earlier stamp, as ``provenance.json`` writes it (:data:`STAMP`).
    end
        The later stamp.

    Returns
    -------
    float or None
        ``end - start`` in seconds.
    """
    if not start or not end:
        return None
    return (datetime.strptime(end, STAMP) - datetime.strptime(start, STAMP)).total_seconds()


def wall_seconds(provenance: dict[str, Any]) -> float | None:
    """Wall time of the whole run: every launch of ``run``/``resume`` from its start to
    its report, summed (``launch_seconds``); for runs recorded before that existed, the
    launcher sessions' ensembles."""
    launches = provenance.get("launch_seconds")
    if launches:
        return float(sum(launches))
    sessions = [
        seconds_between(s.get("started"), s.get("finished")) for s in provenance.get("sessions", [])
    ]
    known = [s for s in sessions if s is not None]
    if known:
        return float(sum(known))
    return seconds_between(provenance.get("started"), provenance.get("finished"))


def dumps(value: Any) -> str:
    """Compact JSON text of a value, for provenance tables."""
    return json.dumps(value, separators=(", ", ": "), default=str)
