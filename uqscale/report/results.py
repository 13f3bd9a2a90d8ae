"""The report's sections on Sobol indices (of every method that gives them), indices
by scale group, and indices along the coordinates of field outputs."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import xarray as xr

from uqscale.report import fieldplots, plots
from uqscale.report.blocks import Figure, Heading, Note, Section, Table, number, plural
from uqscale.report.data import RunData, coordinate, field_dims
from uqscale.report.figures import OTHERS, TOP, top_inputs
from uqscale.report.look import Look, averaged, sweep_note, top_note, view

WEAK_S2 = 0.01
"""Below this, pairwise interactions are reported in one sentence, not a table."""
MATRIX_OUTPUTS = 4
"""With this many scalar outputs or more, the indices of all of them are also shown as
one matrix (and the scale groups only so)."""


def index_sets(data: RunData) -> dict[str, list[tuple[str, xr.Dataset]]]:
    """``{output: [(label, dataset), ...]}`` of every analysis giving S1 and ST (by a
    method that declares ``indices``)."""
    found: dict[str, list[tuple[str, xr.Dataset]]] = {}
    for label, output, dataset in data.where(lambda method: method.indices):
        if "S1" in dataset and "ST" in dataset:
            found.setdefault(output, []).append((label, view(dataset)[0]))
    return found


def conf_level(data: RunData, labels: list[str]) -> str:
    """The confidence level of the analyses ``labels`` for a caption: ``95 %``, or
    ``the analyses'`` when they differ.

    Parameters
    ----------
    data
        The run.
    labels
        The analyses shown.

    Returns
    -------
    str
        The level.
    """
    levels = {
        float(a.options["conf_level"])
        for a in data.study.analysis
        if a.label in labels and a.options.get("conf_level") is not None
    }
    return f"{100 * levels.pop():g} %" if len(levels) == 1 else "the analyses'"


def conf_text(data: RunData, labels: list[str]) -> str:
    """How the whiskers are computed, for the analyses that have them.

    Parameters
    ----------
    data
        The run.
    labels
        The analyses shown.

    Returns
    -------
    str
        A sentence for a caption.
    """
    return f" Whiskers: {conf_level(data, labels)} bootstrap confidence intervals."


def _scalar_firsts(data: RunData, key: str) -> dict[str, tuple[str, xr.Dataset]]:
    """The first analysis giving ``key`` for each scalar output, preferring one whose
    estimates are reliable (an expansion marked unreliable yields to Saltelli's)."""
    found = {}
    for output, panels in index_sets(data).items():
        candidates = [(label, ds) for label, ds in panels if key in ds and not field_dims(ds)]
        trusted = [c for c in candidates if "reliable" not in c[1] or bool(c[1]["reliable"].all())]
        if candidates:
            found[output] = (trusted or candidates)[0]
    return found


def overview(data: RunData, look: Look) -> Figure | None:
    """Total indices of the most influential inputs for every scalar output at once
    (with :data:`MATRIX_OUTPUTS` outputs or more).

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.

    Returns
    -------
    Figure or None
        None with fewer outputs.
    """
    firsts = _scalar_firsts(data, "ST")
    if len(firsts) < MATRIX_OUTPUTS:
        return None
    names = [str(n) for n in next(iter(firsts.values()))[1]["input"].values]
    st = np.array([[float(ds["ST"].sel(input=n)) for n in names] for _, ds in firsts.values()])
    shown, rest = top_inputs(np.nanmax(st, axis=0), names, TOP)
    values, columns = st[:, shown], [names[k] for k in shown]
    if rest:
        values = np.column_stack([values, np.nansum(st[:, rest], axis=1)])
        columns.append(f"{len(rest)} others (sum)")
    methods = " and ".join(sorted({label for label, _ in firsts.values()}))
    return Figure(
        lambda: plots.index_matrix(
            list(firsts),
            columns,
            values,
            column_colours=[look.inputs.get(c, OTHERS) for c in columns],
        ),
        "overview of total indices",
        f"Overview: the total index ST of each input (columns, the strip above each name "
        f"its scale group) for each output (rows), by {methods}. Darker: more of the "
        f"output's variance involves that input. The figures below break each row down.",
    )


def scale_matrix(data: RunData, look: Look) -> Figure | None:
    """Group indices of every scalar output at once (with many outputs).

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.

    Returns
    -------
    Figure or None
        None with fewer outputs.
    """
    firsts = _scalar_firsts(data, "ST_group")
    if len(firsts) < MATRIX_OUTPUTS:
        return None
    groups = list(data.groups)
    st, s1 = (
        np.array([[float(ds[key].sel(group=g)) for g in groups] for _, ds in firsts.values()])
        for key in ("ST_group", "S1_group")
    )
    methods = " and ".join(sorted({label for label, _ in firsts.values()}))
    return Figure(
        lambda: plots.index_matrix(list(firsts), groups, st, s1, [look.groups[g] for g in groups]),
        "indices of every output by scale",
        f"How much each scale contributes to the variance of each output, by {methods}: "
        f"the total index ST of the group (shade, first number) and its closed first-order "
        f"index S1 (in brackets). S1 counts the group's inputs alone and their interactions "
        f"among themselves; ST every effect that involves the group; the gap between them "
        f"is the coupling across scales.",
    )


def sensitivity_section(data: RunData, look: Look) -> Section | None:
    """Sobol indices of every scalar output as bars, and the strongest interactions.

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.

    Returns
    -------
    Section or None
        None when there is nothing to show.
    """
    blocks: list[Any] = [f for f in (overview(data, look),) if f is not None]
    for output, panels in index_sets(data).items():
        panels = [(label, ds) for label, ds in panels if not field_dims(ds)]
        if not panels:
            continue
        blocks.append(Heading(output))
        names = [str(n) for n in panels[0][1]["input"].values]
        rest = top_inputs(np.asarray(panels[0][1]["ST"].values, dtype=float), names, TOP)[1]
        labels = [label for label, _ in panels]
        conf = conf_text(data, labels) if any("ST_conf" in ds for _, ds in panels) else ""
        pooled = (
            f" The {len(rest)} least influential inputs are pooled in one grey bar: "
            f"the sum of their S1, and the sum of their ST (an upper bound of their "
            f"joint total effect)."
            if rest
            else ""
        )
        blocks.append(
            Figure(
                partial(plots.index_bars_image, panels, look.inputs),
                f"Sobol indices of {output}",
                f"What drives {output}, by {' and '.join(labels)}: the first-order index S1 "
                f"(light) is the share of the variance of {output} due to the input alone; the "
                f"total index ST (dark) adds all its interactions with other inputs. Inputs are "
                f"ranked by ST; colours are scale groups.{conf}{pooled} A large gap between ST "
                f"and S1 means the input acts through interactions.",
            )
        )
        blocks.append(_number_table(panels, output))
        pairs = _interactions(panels)
        if pairs is not None:
            blocks.append(pairs)
    if not blocks:
        return None
    blocks[:0] = top_note(data)
    return Section(
        "sensitivity",
        "Sensitivity indices",
        "Which inputs the outputs' uncertainty comes from (variance-based "
        "Sobol' indices)." + sweep_note(data),
        blocks,
    )


def _number_table(panels: list[tuple[str, xr.Dataset]], output: str) -> Table:
    head = ["input"]
    columns = []
    for label, ds in panels:
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            if key in ds:
                head.append(f"{key.replace('_conf', ' ±')} ({label})")
                columns.append(np.asarray(ds[key].values, dtype=float))
    names = [str(n) for n in panels[0][1]["input"].values]
    order = np.argsort(-np.nan_to_num(columns[0 if len(columns) < 3 else 2], nan=-1.0))
    rows = [[names[k], *(number(c[k]) for c in columns)] for k in order]
    return Table(
        head,
        rows,
        numeric=tuple(range(1, len(head))),
        collapsed=f"Numbers: indices of {output} for every input",
    )


def _interactions(panels: list[tuple[str, xr.Dataset]], count: int = 5) -> Table | Note | None:
    for label, ds in panels:
        if "S2" not in ds:
            continue
        names = [str(n) for n in ds["input"].values]
        s2 = np.asarray(ds["S2"].values, dtype=float)
        conf = np.asarray(ds["S2_conf"].values, dtype=float) if "S2_conf" in ds else None
        pairs = [(s2[i, j], i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
        pairs.sort(key=lambda p: -np.nan_to_num(p[0], nan=-1.0))
        if not pairs:
            return None
        strongest, i, j = pairs[0]
        if not strongest >= WEAK_S2:
            return Note(
                f"No pair of inputs interacts noticeably ({label}): the largest "
                f"second-order index is S2 = {number(strongest)} ({names[i]} × "
                f"{names[j]})."
            )
        rows = [
            [f"{names[i]} × {names[j]}", number(v)]
            + ([number(conf[i, j])] if conf is not None else [])
            for v, i, j in pairs[:count]
        ]
        head = ["pair", "S2"] + (["±"] if conf is not None else [])
        return Table(
            head,
            rows,
            f"Strongest pairwise interactions ({label}): S2 is the "
            f"share of variance due to the two inputs acting together, "
            f"beyond their separate effects.",
            numeric=(1, 2),
        )
    return None


def scales_section(data: RunData, look: Look) -> Section | None:
    """Closed and total indices of every scale group (with two groups or more).

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.

    Returns
    -------
    Section or None
        None when there is nothing to show.
    """
    if len(data.groups) < 2:
        return None
    matrix = scale_matrix(data, look)
    blocks: list[Any] = [matrix] if matrix is not None else []
    for output, panels in index_sets(data).items():
        panels = [(label, ds) for label, ds in panels if "S1_group" in ds]
        if not panels:
            continue
        dims = field_dims(panels[0][1])
        if matrix is not None and not dims:
            continue
        if dims:
            draw = partial(fieldplots.field_groups, panels, dims[0], look.groups)
            what = f" along {dims[0]}{averaged(panels[0][1], dims[0])} (ST solid, S1 dashed)"
        else:
            draw = partial(plots.group_bars, panels, look.groups)
            what = " (S1 light, ST dark)"
        blocks.append(
            Figure(
                draw,
                f"indices of {output} by scale",
                f"How much each scale contributes to the variance of {output}{what}: the closed "
                f"first-order index S1 of a group counts its inputs alone and their interactions "
                f"among themselves; its total index ST counts every effect that involves the "
                f"group. The gap between the two is the coupling across scales.",
            )
        )
    if not blocks:
        return None
    groups = ", ".join(f"{g} ({plural(len(n), 'input')})" for g, n in data.groups.items())
    return Section(
        "scales",
        "Indices by scale",
        f"The inputs grouped by their scale tag: {groups}." + sweep_note(data),
        blocks,
    )


def fields_section(data: RunData, look: Look) -> Section | None:
    """Indices along the coordinate of every field output.

    Parameters
    ----------
    data
        The run.
    look
        The report's colours.

    Returns
    -------
    Section or None
        None when there is nothing to show.
    """
    blocks: list[Any] = []
    for output, panels in index_sets(data).items():
        dims = field_dims(panels[0][1])
        if not dims:
            continue
        dim = dims[0]
        size = panels[0][1].sizes[dim]
        names = panels[0][1].sizes["input"]
        shown = min(names, fieldplots.LINES) if names > fieldplots.LINES + 1 else names
        rest = names - shown
        labels = [label for label, _ in panels]
        blocks.append(
            Figure(
                partial(fieldplots.field_indices, panels, dim, look.inputs),
                f"indices of {output} along {dim}",
                f"Sobol indices of {output} at each of its {number(size)} points along "
                f"{dim}{averaged(panels[0][1], dim)}, by {' and '.join(labels)}: "
                f"total index ST (solid, shaded band: confidence interval where estimated) and "
                f"first-order S1 (dashed) of the {plural(shown, 'input')} with the largest ST "
                f"anywhere"
                + (f"; the other {rest} inputs' ST summed in grey" if rest else "")
                + f". Read it vertically: at each {dim}, which inputs drive {output} there.",
            )
        )
        blocks.append(_field_peaks(output, panels[0]))
    if not blocks:
        return None
    return Section(
        "fields",
        "Indices over time and space",
        "Field outputs have indices at every point: how the drivers change along the field.",
        blocks,
    )


def _field_peaks(output: str, panel: tuple[str, xr.Dataset]) -> Table:
    """Where along its field each of the most influential inputs peaks."""
    label, ds = panel
    dims = field_dims(ds)
    st = ds["ST"].mean(dims[1:]) if len(dims) > 1 else ds["ST"]
    x = coordinate(ds, dims[0])
    names = [str(n) for n in ds["input"].values]
    peak = np.asarray(st.max(dims[0]).values, dtype=float)
    rows = [
        [
            names[k],
            number(float(st.isel(input=k).mean())),
            number(peak[k]),
            number(x[int(np.argmax(st.isel(input=k).values))]),
        ]
        for k in top_inputs(peak, names, TOP)[0][:TOP]
    ]
    return Table(
        ["input", f"ST mean over {dims[0]}", "ST max", f"{dims[0]} of max"],
        rows,
        numeric=(1, 2, 3),
        collapsed=f"Numbers: where along {dims[0]} the inputs drive {output} ({label})",
    )
