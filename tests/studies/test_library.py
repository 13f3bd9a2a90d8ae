"""The four studies of library I: their verification cases pass, and each runs with a
reduced design (``--set``) to indices that are finite and add up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import analyse_in_process
from uqscale.study.files import study_from_text, study_to_yaml
from uqscale.study.overrides import load_overridden
from uqscale.verify import verify_study

STUDIES = Path(__file__).resolve().parents[2] / "studies"

REDUCED = {
    "codon_cascade": ["analysis.0.n=64", "models.1.parameters.t_end=1000"],
    "pkpd": ["analysis.0.n=16"],
    "bioreactor": ["analysis.0.n=64"],
    "immune_agent_field": ["analysis.0.n=16", "models.1.parameters.t_end=3"],
}
"""``--set`` overrides that shrink each study's design (and horizon) for a quick run."""

MAIN = {
    "codon_cascade": "log_loss_time",
    "pkpd": "biomarker_peak",
    "bioreactor": "hypoxic_fraction",
    "immune_agent_field": "inflamed_area",
}
"""The main macro output of each study."""


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REDUCED))
def test_verification_cases_pass(name):
    study, _ = load_overridden(STUDIES / f"{name}.yaml")
    assert study_from_text(study_to_yaml(study), study.base_dir) == study
    results = verify_study(study)
    assert len(results) >= 4
    assert [r.name for r in results if not r.passed] == []


def _check_indices(dataset, method: str) -> None:
    """Finite indices; first-order ones sum to at most 1 and none exceeds its total
    index, within the estimator's own error (exactly, for polynomial chaos)."""
    s1, st = dataset["S1"].values, dataset["ST"].values
    assert np.isfinite(s1).all() and np.isfinite(st).all()
    if method == "pce":
        slack_sum, slack = 1e-9, np.full(s1.shape, 1e-9)
    else:  # Saltelli: the bootstrap half-widths of the confidence intervals
        slack_sum = float(dataset["S1_conf"].values.sum())
        slack = dataset["S1_conf"].values + dataset["ST_conf"].values
    assert s1.sum() <= 1.0 + slack_sum
    assert (st >= s1 - slack).all()
    assert (
        dataset["ST_group"].values
        >= dataset["S1_group"].values - (1e-9 if method == "pce" else 1.0)
    ).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Constant values encountered")  # full_length_fraction
@pytest.mark.parametrize("name", sorted(REDUCED))
def test_reduced_run_gives_sensible_indices(name, tmp_path):
    study, _ = load_overridden(STUDIES / f"{name}.yaml", REDUCED[name])
    analyses, errors = analyse_in_process(study, tmp_path)
    assert not errors
    checked = 0
    for analysis in study.analysis:
        if analysis.method in ("pce", "sobol"):
            dataset = analyses[analysis.label][MAIN[name]]
            _check_indices(dataset, analysis.method)
            assert set(dataset["group"].values) == {"micro", "macro"}
            checked += 1
    assert checked
