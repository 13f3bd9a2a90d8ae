"""What the report's figures promise about their layout (issue 15 point 9): legends
never cover data, the model graph's edges do not cross its boxes, and panels that
compare methods share their axes."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import xarray as xr

from uqscale.report import fieldplots, graph, plots
from uqscale.report.html import write_report
from uqscale.study import Study


@pytest.fixture
def drawn(monkeypatch):
    """Every figure the report modules turn into a URI, drawn, kept for inspection."""
    figures = []
    for module in (plots, fieldplots, graph):
        original = module.to_uri

        def keep(fig, original=original):
            fig.canvas.draw()
            figures.append(fig)
            return original(fig)

        monkeypatch.setattr(module, "to_uri", keep)
    return figures


def _legends_over_axes(fig) -> list[str]:
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [
        f"legend over axes {ax.get_title() or k}"
        for legend in legends
        for k, ax in enumerate(fig.axes)
        if ax.axison and legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    ]


def test_no_legend_is_drawn_over_the_data(drawn, demo_run, field_run, failing_run):
    for directory in (demo_run, field_run, failing_run):
        write_report(directory)
    assert len(drawn) > 10
    assert [problem for fig in drawn for problem in _legends_over_axes(fig)] == []


CHAIN = {
    "study": "chain",
    "seed": 1,
    "inputs": {
        "k_on": {"distribution": "uniform", "low": 1.0, "high": 2.0, "scale": "micro"},
        "k_off": {"distribution": "uniform", "low": 1.0, "high": 2.0, "scale": "micro"},
        "diffusivity": {"distribution": "uniform", "low": 1.0, "high": 2.0, "scale": "macro"},
        "depth": {"distribution": "uniform", "low": 1.0, "high": 2.0, "scale": "macro"},
    },
    "models": [
        {"name": "cell", "python": "tests.report.models:cell", "inputs": ["k_on", "k_off"],
         "outputs": ["occupancy"], "vectorized": True},
        {"name": "relay", "python": "tests.report.models:cell", "inputs": ["occupancy", "k_off"],
         "outputs": ["relayed"], "vectorized": True},
        {"name": "tissue", "python": "tests.report.models:tissue",
         "inputs": ["relayed", "diffusivity", "depth"], "outputs": ["u_end"], "vectorized": True},
    ],
    "analysis": [{"method": "moments"}],
}  # fmt: skip


def _crossings(nodes, edges) -> list[str]:
    """Edges passing through a box other than their own two ends (sampled densely)."""
    found = []
    for a, b, _ in edges:
        path = graph.edge_path(nodes[a], nodes[b], nodes.values())
        for (xa, ya), (xb, yb) in pairwise(path):
            t = np.linspace(0.0, 1.0, 400)[1:-1]
            x, y = xa + t * (xb - xa), ya + t * (yb - ya)
            for key, node in nodes.items():
                if key in (a, b):
                    continue
                inside = (np.abs(x - node.column * graph.COLUMN) < graph.BOX_WIDTH / 2) & (
                    np.abs(y + node.row) < graph.BOX_HEIGHT / 2
                )
                if inside.any():
                    found.append(f"{a} -> {b} crosses {key}")
    return found


def test_model_graph_edges_go_around_the_boxes(drawn):
    study = Study.from_dict(CHAIN)
    groups = {"micro": ["k_on", "k_off"], "macro": ["diffusivity", "depth"]}
    colours = {"micro": "#0072B2", "macro": "#E69F00"}
    nodes, edges = graph._layout(study, groups, colours)
    skipping = [(a, b) for a, b, _ in edges if nodes[b].column - nodes[a].column > 1]
    assert skipping, "the chain must have edges that skip columns"
    assert _crossings(nodes, edges) == []
    # the straight line such an edge used to take does cross a box
    straight = graph.edge_path
    try:
        graph.edge_path = lambda s, e, _: [
            (s.column * graph.COLUMN + graph.BOX_WIDTH / 2, -s.row),
            (e.column * graph.COLUMN - graph.BOX_WIDTH / 2, -e.row),
        ]
        assert _crossings(nodes, edges)
    finally:
        graph.edge_path = straight
    graph.model_graph(study, groups, colours)
    assert len(drawn) == 1


def _indices(scale: float) -> xr.Dataset:
    names = ["a", "b", "c"]
    s1 = xr.DataArray(scale * np.array([0.5, 0.2, 0.05]), dims="input", coords={"input": names})
    return xr.Dataset({"S1": s1, "ST": 1.2 * s1, "S1_conf": 0 * s1 + 0.01, "ST_conf": 0 * s1})


def test_panels_comparing_methods_share_their_axes(drawn):
    colours = {"a": "#0072B2", "b": "#0072B2", "c": "#E69F00"}
    plots.index_bars([("sobol", _indices(1.0)), ("pce", _indices(2.0))], colours)
    (fig,) = drawn
    limits = {ax.get_xlim() for ax in fig.axes}
    assert len(limits) == 1
    assert min(limits)[1] >= 2.0 * 1.2 * 0.5  # the wider panel's longest bar fits
