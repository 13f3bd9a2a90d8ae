"""Pinned random streams: the first rows of every design kind for a given seed.

Every design is a function of the study's seed and of the block's sampling options
(:func:`uqscale.design.block_key`): a change of library, of stream keying or of a
design rule changes these rows. Such a change must be deliberate: update
``pinned_streams.json`` (``python tests/analysis/test_pinned_streams.py``) and say so
in CHANGELOG.md, since it changes every stored run's samples. Values may move by
:data:`RTOL` (relative) with the numerical libraries (numpy, scipy), no more.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from uqscale.design import build_design
from uqscale.study import Study

PINNED = Path(__file__).with_name("pinned_streams.json")
RTOL = 1e-12
"""How far a pinned value may move with the numerical libraries (numpy, scipy), relative
to it: a changed stream or rule moves every value by far more."""
KINDS = {
    "moments-random": {"method": "moments", "n": 8, "rule": "random"},
    "moments-lhs": {"method": "moments", "n": 8, "rule": "lhs"},
    "moments-sobol": {"method": "moments", "n": 8, "rule": "sobol"},
    "moments-halton": {"method": "moments", "n": 8, "rule": "halton"},
    "pce-regression-sobol": {"method": "pce", "order": 2, "n": 8},
    "pce-regression-lhs": {"method": "pce", "order": 2, "n": 8, "rule": "lhs"},
    "pce-regression-random": {"method": "pce", "order": 2, "n": 8, "rule": "random"},
    "pce-regression-halton": {"method": "pce", "order": 2, "n": 8, "rule": "halton"},
    "pce-quadrature-gaussian": {"method": "pce", "order": 2, "design": "quadrature"},
    "pce-quadrature-clenshaw_curtis": {
        "method": "pce",
        "order": 2,
        "design": "quadrature",
        "quadrature": "clenshaw_curtis",
    },
    "pce-quadrature-leja": {
        "method": "pce",
        "order": 2,
        "design": "quadrature",
        "quadrature": "leja",
    },
    "pce-quadrature-sparse": {"method": "pce", "order": 2, "design": "quadrature", "sparse": True},
    "sobol-saltelli": {"method": "sobol", "n": 8},
    "sobol-saltelli-second-order": {"method": "sobol", "n": 8, "second_order": True},
    "morris": {"method": "morris", "trajectories": 4, "levels": 4},
}
"""Every rule of every method: the four unit-cube rules (through moments and regression
PCE), the quadrature rules, Saltelli's design (with scale-group rows) and Morris."""


def streams_study(analysis: dict) -> Study:
    """Three inputs of three families in two scale groups, seed 2026."""
    inputs = {
        "a": {"distribution": "uniform", "low": 0.0, "high": 2.0, "scale": "micro"},
        "b": {"distribution": "normal", "mean": 1.0, "std": 0.5, "scale": "micro"},
        "c": {"distribution": "lognormal", "mu": 0.0, "sigma": 0.25, "scale": "macro"},
    }
    return Study.from_dict(
        {
            "study": "streams",
            "seed": 2026,
            "inputs": inputs,
            "models": [
                {
                    "name": "m",
                    "python": "uqscale.testfunctions:linear",
                    "inputs": list(inputs),
                    "outputs": ["y"],
                    "vectorized": True,
                }
            ],
            "analysis": [analysis],
        }
    )


def first_rows(kind: str) -> dict:
    """The design's size and first three rows (inputs a, b, c)."""
    design = build_design(streams_study(KINDS[kind]))
    rows = np.column_stack([design[name].values for name in ("a", "b", "c")])
    return {"size": len(rows), "first": rows[:3].tolist()}


@pytest.mark.parametrize("kind", list(KINDS))
def test_first_rows_of_every_design_kind_are_pinned(kind):
    pinned = json.loads(PINNED.read_text())[kind]
    found = first_rows(kind)
    assert found["size"] == pinned["size"]
    # The stream is uqscale's; the last digits of a value are the numerical libraries':
    # with numpy 2.4 and scipy 1.17 a lognormal value moved by one unit in the last
    # place, and the Leja nodes (found by scipy's optimiser) by 5e-14.
    np.testing.assert_allclose(found["first"], pinned["first"], rtol=RTOL, atol=0)


def test_the_pins_cover_every_rule_of_every_method():
    from uqscale.analysis.method import RULES

    pinned = json.loads(PINNED.read_text())
    assert set(pinned) == set(KINDS)
    assert {
        options.get("rule", "sobol") for options in KINDS.values() if options["method"] == "moments"
    } == set(RULES)


if __name__ == "__main__":  # rewrite the pins, after a deliberate change of stream
    PINNED.write_text(json.dumps({kind: first_rows(kind) for kind in KINDS}, indent=1) + "\n")
    sys.exit(0)
