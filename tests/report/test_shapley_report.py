"""A Shapley analysis (dependent inputs) is drawn: one bar per input holding its stored
effect, whiskers its stored half-width, and a caption and legend that call them Shapley
effects and say how the correlated inputs share variance."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.container import BarContainer

from tests.report.runs import make_run
from tests.report.test_figure_layout import drawn  # noqa: F401  (the fixture)
from tests.report.test_html import page
from uqscale.report.html import write_report
from uqscale.study import Study

CORRELATED = {
    "study": "correlated-linear",
    "seed": 7,
    "inputs": {
        name: {"distribution": "normal", "mean": 0.0, "std": 1.0, "scale": scale}
        for name, scale in (("a", "micro"), ("b", "macro"), ("c", "macro"))
    },
    "correlation": {"inputs": ["b", "c"], "matrix": [[1.0, 0.6], [0.6, 1.0]]},
    "models": [
        {
            "name": "f",
            "python": "tests.report.test_shapley_report:linear",
            "inputs": ["a", "b", "c"],
            "outputs": ["y"],
            "vectorized": True,
        }
    ],
    "analysis": [{"method": "shapley", "permutations": 6, "n_var": 400}],
}


def linear(a, b, c):
    """``y = a + 2 b + c / 2``: b carries most of the variance, c shares some of it."""
    return {"y": np.asarray(a) + 2 * np.asarray(b) + 0.5 * np.asarray(c)}


@pytest.fixture(scope="module")
def shapley_run(tmp_path_factory):
    return make_run(Study.from_dict(CORRELATED), tmp_path_factory.mktemp("shapley") / "run")


def test_a_shapley_run_draws_one_bar_per_input_with_its_stored_effect(shapley_run, drawn):  # noqa: F811
    stored = json.loads((shapley_run / "indices.json").read_text())["outputs"]["y"]["shapley"]
    write_report(shapley_run)
    (fig,) = [f for f in drawn if f.axes[0].get_title(loc="left") == "shapley"]
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(names) == ["a", "b", "c"]
    assert names == sorted(stored["Sh"], key=lambda n: -stored["Sh"][n])  # ranked by effect
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]  # one set of bars
    assert len(bars.patches) == 3
    assert [p.get_width() for p in bars.patches] == pytest.approx([stored["Sh"][n] for n in names])
    (whiskers,) = bars.errorbar.lines[2]
    half = [(right - left) / 2 for (left, _), (right, _) in whiskers.get_segments()]
    assert half == pytest.approx([stored["Sh_conf"][n] for n in names])
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "Sh  Shapley effect (correlated inputs share their common variance)"
    ]


def test_the_report_calls_them_shapley_effects_shared_by_the_correlated_inputs(shapley_run):
    text, html = page(shapley_run)
    assert "shapley" in html.sections and "sensitivity" not in html.sections
    assert 'alt="Shapley effects of y"' in text
    assert "The correlated inputs (b, c) share the variance" in text
    assert "95 % confidence intervals" in text
