"""What every report section shares: the colours of scale groups and inputs, the
view of a result at the finest spacing, and sentences about sweeps and pooled inputs."""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from uqscale.report.blocks import Note, number
from uqscale.report.data import RunData, field_dims
from uqscale.report.figures import TOP, group_colours, input_colours

Found = list[tuple[str, str, xr.Dataset]]
"""``(label, output, dataset)`` of a method's analyses (:meth:`RunData.of_method`)."""


@dataclass(frozen=True)
class Look:
    """Colours shared by every figure: one per scale group, inputs in their group's."""

    groups: dict[str, str]
    inputs: dict[str, str]
    scale_of: dict[str, str]

    @classmethod
    def of(cls, data: RunData) -> Look:
        """The colours of a run's scale groups and inputs."""
        groups = group_colours(list(data.groups))
        return cls(groups, input_colours(data.scale_of, groups), data.scale_of)


def view(dataset: xr.Dataset, keep_runs: bool = False) -> tuple[xr.Dataset, str]:
    """The dataset at its finest spacing and (unless ``keep_runs``) its largest number
    of runs, when it has dims ``resolution`` or ``runs``, and a phrase saying so.

    Parameters
    ----------
    dataset
        One output's results of one analysis.
    keep_runs
        Keep dim ``runs`` (the convergence view).

    Returns
    -------
    tuple
        The dataset, and the phrase (empty when nothing was selected).
    """
    said = ""
    if "resolution" in dataset.dims:
        dataset = dataset.isel(resolution=0)
        said = f"At the finest spacing, {number(dataset['resolution'].item())}."
    if "runs" in dataset.dims and not keep_runs:
        dataset = dataset.isel(runs=-1)
    return dataset, said


def sweep_note(data: RunData) -> str:
    """A sentence for section leads when the run swept the grid spacing."""
    resolution = getattr(data.study, "resolution", None)
    if resolution is None:
        return ""
    finest = number(min(resolution.spacings()))
    return (
        f" Results at the finest spacing, {resolution.parameter} = {finest}; the grey-zone "
        f"section shows how they change with it."
    )


def averaged(ds: xr.Dataset | xr.DataArray, dim: str) -> str:
    """`` (averaged over ...)`` naming the field dims other than ``dim``, for captions.

    Parameters
    ----------
    ds
        A field output's results.
    dim
        The dim shown.

    Returns
    -------
    str
        The phrase, empty for a one-dimensional field.
    """
    others = [d for d in field_dims(ds) if d != dim]
    return f" (averaged over {', '.join(others)})" if others else ""


def top_note(data: RunData) -> list[Note]:
    """A note that only the most influential inputs are named (with many inputs)."""
    count = len(data.study.inputs)
    if count <= TOP + 1:
        return []
    return [
        Note(
            f"With {count} inputs, figures name the {TOP} most influential and pool "
            f"the rest; the tables under 'Numbers' list every input."
        )
    ]
