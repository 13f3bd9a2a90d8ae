"""The model graph drawn from micro to macro: inputs by scale group on the left, the
steps in data-flow order, the final outputs on the right."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from uqscale.report.figures import INK, MUTED, Margins, figure, short, tint, to_uri
from uqscale.study.graph import step_order
from uqscale.study.model import ModelStep, Study

BOX_WIDTH = 1.5
COLUMN = 2.4
ROW = 1.0
BOX_HEIGHT = 0.64
EDGE = "#9AA5B1"
NAMES_SHOWN = 4
OUTPUTS_SHOWN = 5


@dataclass
class _Node:
    key: str
    label: str
    detail: str
    colour: str
    column: int
    row: float = 0.0


def _layout(
    study: Study, groups: Mapping[str, list[str]], colours: Mapping[str, str]
) -> tuple[dict[str, _Node], list[tuple[str, str, str]]]:
    """Nodes (input groups, steps, final outputs) in columns, and labelled edges."""
    nodes: dict[str, _Node] = {}
    group_of = {n: g for g, names in groups.items() for n in names}
    for group, names in groups.items():
        nodes[f"g:{group}"] = _Node(f"g:{group}", group, listing(names), colours[group], 0)
    producer: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for index in step_order(study.models, study.input_names):
        step = study.models[index]
        key = f"s:{step.name}"
        depth = 1
        feeding: dict[str, list[str]] = {}
        for name in step.inputs:
            source = producer.get(name) or f"g:{group_of[name]}"
            feeding.setdefault(source, []).append(name)
            depth = max(depth, nodes[source].column + 1)
        nodes[key] = _Node(key, step.name, short(_what_runs(step), 24), INK, depth)
        for source, names in feeding.items():
            label = listing(names, 2, 18) if source.startswith("s:") else ""
            edges.append((source, key, label))
        producer.update({o: key for o in step.output_names})
    consumed = {n for step in study.models for n in step.inputs}
    last = max((n.column for n in nodes.values()), default=0) + 1
    final: dict[str, list[str]] = {}
    for output, source in producer.items():
        if output not in consumed:
            final.setdefault(source, []).append(output)
    for source, outputs in final.items():
        # Many outputs of one step share a node, so the graph stays the size of a page.
        shared = len(outputs) > OUTPUTS_SHOWN
        names = [f"{len(outputs)} outputs"] if shared else outputs
        for name in names:
            detail = listing(outputs, 3) if shared else "output"
            nodes[f"o:{name}"] = _Node(f"o:{name}", name, detail, MUTED, last)
            edges.append((source, f"o:{name}", ""))
    _rows(nodes, edges)
    return nodes, edges


def _what_runs(step: ModelStep) -> str:
    """A step's function, program or UM-Bridge model, in a few characters."""
    if step.command is not None:
        return "$ " + " ".join(step.command)
    if step.umbridge is not None:
        return f"umbridge {step.umbridge.name}"
    return (step.python_name or "").split(":")[-1] + "()"


def listing(names: list[str], shown: int = NAMES_SHOWN, width: int = 26) -> str:
    """The first names that fit in ``width`` characters, then how many more.

    Parameters
    ----------
    names
        The names, in order (inputs of a group, or outputs).
    shown
        The most names written out.
    width
        The characters the text may take, ``+N`` included (the first name always
        shows).

    Returns
    -------
    str
        ``"a, b +3"``: the names shown, comma-separated, and the count of the others.

    Examples
    --------
    >>> listing(["kd", "signal_gain", "signal_rate"])
    'kd, signal_gain +1'
    """
    text, count = "", 0
    for name in names[:shown]:
        longer = f"{text}, {name}" if text else name
        if len(longer) > width - 3 and text:
            break
        text, count = longer, count + 1
    return text + (f" +{len(names) - count}" if count < len(names) else "")


def _rows(nodes: dict[str, _Node], edges: list[tuple[str, str, str]]) -> None:
    """Place the nodes of each column one above the other, ordered by the mean row of
    what feeds them (fewer crossings), centred on the tallest column."""
    columns: dict[int, list[_Node]] = {}
    for node in nodes.values():
        columns.setdefault(node.column, []).append(node)
    tallest = max(len(c) for c in columns.values())
    for column in sorted(columns):
        members = columns[column]
        if column:

            def fed(node: _Node) -> float:
                rows = [nodes[a].row for a, b, _ in edges if b == node.key]
                return sum(rows) / len(rows) if rows else 0.0

            members.sort(key=fed)
        start = (tallest - len(members)) / 2
        for k, node in enumerate(members):
            node.row = (start + k) * ROW


def edge_path(start: _Node, end: _Node, boxes: Iterable[_Node]) -> list[tuple[float, float]]:
    """The corners of the edge from ``start``'s right side to ``end``'s left side.

    Neighbouring columns are joined straight across the gap between them, where no box
    stands. An edge that skips columns runs along a lane clear of every box in the
    columns it passes (the clear height nearest to its ends), turning in the gaps.

    Parameters
    ----------
    start
        The box the edge leaves.
    end
        The box it enters, in a later column.
    boxes
        Every box of the graph (those in the columns between are avoided).

    Returns
    -------
    list[tuple[float, float]]
        The corners ``(x, y)`` in order, the first on ``start`` and the last on ``end``.
    """
    x0 = start.column * COLUMN + BOX_WIDTH / 2
    x1 = end.column * COLUMN - BOX_WIDTH / 2
    y0, y1 = -start.row, -end.row
    if end.column - start.column <= 1:
        return [(x0, y0), (x1, y1)]
    passed = [-b.row for b in boxes if start.column < b.column < end.column]
    clear = BOX_HEIGHT / 2 + 0.06

    def free(y: float) -> bool:
        return all(abs(y - row) > clear for row in passed)

    low, high = min([y0, y1, *passed]) - 1.0, max([y0, y1, *passed]) + 1.0
    lanes = [low + k * 0.02 for k in range(int((high - low) / 0.02) + 1)]
    lane = min((y for y in lanes if free(y)), key=lambda y: abs(y - y0) + abs(y - y1))
    gap_out = start.column * COLUMN + COLUMN / 2
    gap_in = end.column * COLUMN - COLUMN / 2
    return [(x0, y0), (gap_out, y0), (gap_out, lane), (gap_in, lane), (gap_in, y1), (x1, y1)]


def model_graph(study: Study, groups: Mapping[str, list[str]], colours: Mapping[str, str]) -> str:
    """The study's model graph as a ``data:`` URI.

    Parameters
    ----------
    study
        The study, whose steps and their inputs and outputs are drawn.
    groups
        ``{scale group: its inputs}``, one box each in the first column.
    colours
        ``{scale group: colour}``, the boxes' fill.

    Returns
    -------
    str
        The drawing, a ``data:`` URI.
    """
    from matplotlib.patches import FancyBboxPatch

    nodes, edges = _layout(study, groups, colours)
    columns = max(n.column for n in nodes.values()) + 1
    rows = max(n.row for n in nodes.values()) / ROW + 1
    margins = Margins(left=0.05, right=0.05, top=0.05, bottom=0.05)
    with figure(width=min(7.2, 0.6 + 2.0 * columns), height=0.6 + 0.75 * rows, margins=margins) as (
        fig,
        axes,
    ):
        ax = axes[0][0]
        ax.set_axis_off()
        paths = [(edge_path(nodes[a], nodes[b], nodes.values()), label) for a, b, label in edges]
        for path, label in paths:
            (x0, y0), (x1, y1) = path[-2], path[-1]
            ax.plot([x for x, _ in path], [y for _, y in path], color=EDGE, lw=1.0)
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": EDGE,
                    "lw": 1.0,
                    "shrinkA": 0,
                    "shrinkB": 1,
                },
            )
            if label:
                middle = len(path) // 2
                (xa, ya), (xb, yb) = path[middle - 1], path[middle]
                ax.text(
                    (xa + xb) / 2,
                    (ya + yb) / 2 + 0.06,
                    label,
                    ha="center",
                    va="bottom",
                    fontsize=6.5,
                    color=MUTED,
                    style="italic",
                )
        for node in nodes.values():
            x, y = node.column * COLUMN, -node.row
            filled = node.key.startswith("g:")
            ax.add_patch(
                FancyBboxPatch(
                    (x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2),
                    BOX_WIDTH,
                    BOX_HEIGHT,
                    boxstyle="round,pad=0,rounding_size=0.08",
                    linewidth=1.1,
                    facecolor=tint(node.colour, 0.82) if filled else "white",
                    edgecolor=node.colour,
                )
            )
            ax.text(
                x,
                y + 0.1,
                short(node.label, 20),
                ha="center",
                va="center",
                fontsize=8,
                weight="bold",
                color=INK,
            )
            ax.text(x, y - 0.14, node.detail, ha="center", va="center", fontsize=6.5, color=MUTED)
        for column, title in ((0, "inputs by scale"), (columns - 1, "outputs")):
            ax.text(column * COLUMN, 0.55, title, ha="center", fontsize=7, color=MUTED)
        if columns > 2:
            ax.text(
                (columns - 1) * COLUMN / 2,
                0.55,
                "model steps (data flow →)",
                ha="center",
                fontsize=7,
                color=MUTED,
            )
        ax.set_xlim(-BOX_WIDTH / 2 - 0.1, (columns - 1) * COLUMN + BOX_WIDTH / 2 + 0.1)
        lowest = min(y for path, _ in paths for _, y in path)
        ax.set_ylim(min(-(rows - 1) * ROW - 0.45, lowest - 0.15), 0.75)
        return to_uri(fig)
