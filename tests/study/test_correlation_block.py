"""The ``correlation:`` block and ``method: shapley`` through a whole study: one-line
errors, the round trip, and a run whose Shapley effects match the closed form."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import uqscale
from tests.analysis.test_shapley import exact_shapley
from tests.report.test_indices_schema import validate
from uqscale.errors import StudyError
from uqscale.study import Study

BETA, SIGMA, RHO = [1.0, 2.0, 0.5], [1.0, 0.7, 1.6], 0.6


def linear_study(**changes) -> dict:
    data = {
        "study": "correlated-linear",
        "seed": 3,
        "inputs": {
            f"x{i + 1}": {
                "distribution": "normal",
                "mean": 0.0,
                "std": s,
                "scale": "micro" if i else "macro",
            }
            for i, s in enumerate(SIGMA)
        },
        "correlation": {"inputs": ["x2", "x3"], "matrix": [[1.0, RHO], [RHO, 1.0]]},
        "models": [
            {
                "name": "linear",
                "python": "uqscale.testfunctions:linear",
                "inputs": ["x1", "x2", "x3"],
                "parameters": {"coefficients": BETA},
                "outputs": ["y"],
                "vectorized": True,
            }
        ],
        "analysis": [
            {"method": "shapley", "permutations": 600, "n_var": 2000},
            {"method": "moments", "n": 2000, "rule": "random"},
        ],
        "execution": {"workers": 1},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"inputs": ["x2", "kcat"], "matrix": [[1.0, 0.5], [0.5, 1.0]]},
            "correlation.inputs[1]: unknown input 'kcat'; known: x1, x2, x3",
        ),
        (
            {"inputs": ["x2", "x3"], "matrix": [[1.0, 0.5], [0.4, 1.0]]},
            "correlation.matrix[0][1]: must equal correlation.matrix[1][0]",
        ),
        (
            {"inputs": ["x2", "x3"]},
            "correlation: needs exactly one of matrix (normal-score correlations), spearman or "
            "kendall (got none)",
        ),
        (
            {"inputs": ["x2", "x3"], "spearman": [[1.0, 0.5, 0.1], [0.5, 1.0]]},
            "correlation.spearman[0]: must have 2 entries, one per input (got 3)",
        ),
    ],
)
def test_a_bad_correlation_block_is_one_line_naming_the_field(change, message):
    with pytest.raises(StudyError) as error:
        Study.from_dict(linear_study(correlation=change))
    assert str(error.value).startswith(message), str(error.value)


def test_sobol_on_dependent_inputs_is_refused_with_a_pointer_to_shapley():
    with pytest.raises(StudyError) as error:
        Study.from_dict(linear_study(analysis=[{"method": "sobol", "n": 64}]))
    assert str(error.value) == (
        "analysis[0].method: sobol assumes independent inputs, and correlation: makes "
        "x2, x3 dependent; use method: shapley (Shapley effects) or moments"
    )


def test_the_study_round_trips_through_its_file_form():
    study = Study.from_dict(
        linear_study(correlation={"inputs": ["x2", "x3"], "spearman": [[1.0, 0.4], [0.4, 1.0]]})
    )
    assert Study.from_dict(study.to_dict()) == study
    assert study.to_dict()["correlation"] == {
        "inputs": ["x2", "x3"],
        "spearman": [[1.0, 0.4], [0.4, 1.0]],
    }


def test_a_correlated_run_gives_the_closed_form_shapley_effects(client, tmp_path):
    study = Study.from_dict(linear_study())
    result = uqscale.run(study, tmp_path / "run", client=client)
    document = json.loads((tmp_path / "run" / "indices.json").read_text())
    validate(document)
    entry = document["outputs"]["y"]
    sh, conf = entry["shapley"]["Sh"], entry["shapley"]["Sh_conf"]
    cov = np.diag(np.square(SIGMA))
    cov[1, 2] = cov[2, 1] = RHO * SIGMA[1] * SIGMA[2]
    exact = exact_shapley(np.array(BETA), cov)
    for name, value in zip(("x1", "x2", "x3"), exact, strict=True):
        assert abs(sh[name] - value) <= 2.5 * conf[name] + 0.005, (name, sh, exact)
    groups = entry["shapley"]["groups"]["Sh"]
    assert groups["micro"] == pytest.approx(sh["x2"] + sh["x3"], abs=1e-12)
    # The moments block draws from the copula: the requested rank correlation.
    block = result.design.isel(sample=slice(-2000, None))
    spearman = stats.spearmanr(block["x2"], block["x3"]).statistic
    assert abs(spearman - 6 / np.pi * np.arcsin(RHO / 2)) < 4 * (1 - 0.58**2) / np.sqrt(2000)
    assert entry["moments"]["variance"] == pytest.approx(
        float(np.array(BETA) @ cov @ BETA), rel=0.1
    )
