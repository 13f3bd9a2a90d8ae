"""Two studies of library II: their verification cases pass, and a reduced run of each
gives finite indices whose first-order sum stays within 1 (cardiac_fibrosis:
test_cardiac_fibrosis.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import uqscale
from tests.studies_ii.conftest import STUDIES
from uqscale.cli import main
from uqscale.study.model import Analysis

NAMES = (
    # its Lennard-Jones case runs 62,000 molecular-dynamics steps (~10 s)
    pytest.param("greenkubo_capillary", marks=pytest.mark.slow),
    "tumour_nonlocal",
)


@pytest.mark.parametrize("name", NAMES)
def test_verification_cases_pass(name, capsys):
    assert main(["verify", str(STUDIES / f"{name}.yaml")]) == 0
    assert "FAIL" not in capsys.readouterr().out


def reduced(name: str, n: int, **parameters):
    """The study with a Saltelli design of ``n`` base samples (and moments) and some
    steps' parameters changed (``{step: {parameter: value}}``)."""
    study = uqscale.load_study(STUDIES / f"{name}.yaml")
    models = tuple(
        dataclasses.replace(m, parameters={**m.parameters, **parameters.get(m.name, {})})
        for m in study.models
    )
    sobol = next(a for a in study.analysis if a.method == "sobol")
    analysis = (Analysis("sobol", {**sobol.options, "n": n}), Analysis("moments"))
    return study.replace(models=models, analysis=analysis, verification=())


def check_indices(result, n_outputs: int) -> None:
    """Every output's indices finite; the first-order indices sum to at most 1 plus
    the sum of their bootstrap confidence half-widths (the estimator's own error)."""
    sobol = result.analyses["sobol"]
    assert len(sobol) == n_outputs and not result.failures
    for name, data in sobol.items():
        for key in ("S1", "ST", "S1_group", "ST_group"):
            assert np.isfinite(data[key].values).all(), f"{name}: {key} not finite"
        total = data["S1"].sum("input").values
        slack = data["S1_conf"].sum("input").values
        assert np.all(total <= 1.0 + slack), f"{name}: S1 sums to {np.max(total):.3f}"


@pytest.mark.slow
def test_reduced_greenkubo_capillary_run(client, tmp_path):
    short_md = {
        "n_melt": 100,
        "n_equilibrate": 200,
        "n_steps": 1200,
        "n_blocks": 2,
        "gk_cutoff": 0.5,
    }
    study = reduced("greenkubo_capillary", 16, micro=short_md)
    result = uqscale.run(study, tmp_path / "gk", client=client)
    check_indices(result, 10)
    groups = result.indices["outputs"]["pressure_drop"]["sobol"]["groups"]["ST"]
    assert set(groups) == {"micro", "meso", "macro"}


@pytest.mark.slow
def test_reduced_tumour_nonlocal_run(client, tmp_path):
    study = reduced(
        "tumour_nonlocal",
        32,
        transport={"points": 512},
        medium={"walkers": 200, "sites": 256, "windows": [4, 8, 16, 32]},
    )
    result = uqscale.run(study, tmp_path / "tumour", client=client)
    check_indices(result, 11)
