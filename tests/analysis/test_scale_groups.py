"""Indices by scale on a coupled micro -> macro chain, against values derived by hand."""

import pytest

from tests.conftest import analyse_in_process
from tests.models.chain import GROUPS
from uqscale.study import Study


def chain_study(analysis) -> Study:
    uniform = {"distribution": "uniform", "low": 0.0, "high": 1.0}
    return Study.from_dict(
        {
            "study": "chain",
            "seed": 11,
            "inputs": {
                "x1": {**uniform, "scale": "micro"},
                "x2": {**uniform, "scale": "micro"},
                "x3": {**uniform, "scale": "macro"},
            },
            # Declared macro first: the graph orders the steps.
            "models": [
                {
                    "name": "tissue",
                    "python": "tests.models.chain:macro",
                    "inputs": ["m", "x3"],
                    "outputs": ["y"],
                    "vectorized": True,
                },
                {
                    "name": "cell",
                    "python": "tests.models.chain:micro",
                    "inputs": ["x1", "x2"],
                    "outputs": ["m"],
                    "vectorized": True,
                },
            ],
            "analysis": analysis,
        }
    )


@pytest.mark.parametrize(
    "analysis, tolerance",
    [
        ({"method": "pce", "order": 2, "n": 30}, 1e-10),  # y is a degree-2 polynomial: exact
        ({"method": "sobol", "n": 8192}, 0.03),
    ],
)
def test_group_indices_of_the_chain(tmp_path, analysis, tolerance):
    result = analyse_in_process(chain_study([analysis]), tmp_path)[0][analysis["method"]]
    y = result["y"]
    for key in ("S1", "ST"):
        for group, exact in GROUPS[key].items():
            assert y[f"{key}_group"].sel(group=group).item() == pytest.approx(exact, abs=tolerance)
    # The intermediate (micro) output is analysed like any other: S1 = 1/5, 4/5, 0.
    m = result["m"]
    assert m["S1"].sel(input="x1").item() == pytest.approx(0.2, abs=tolerance)
    assert m["S1"].sel(input="x2").item() == pytest.approx(0.8, abs=tolerance)
    assert m["ST_group"].sel(group="macro").item() == pytest.approx(0.0, abs=tolerance)
