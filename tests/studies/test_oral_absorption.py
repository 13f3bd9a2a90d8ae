"""The structural study studies/oral_absorption.yaml: its verification cases pass, and
fail when the model is wrong (a mutated dose, a zero-order input over the wrong time)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import uqscale
from uqscale.verify import verify_study

STUDY = Path(__file__).resolve().parents[2] / "studies" / "oral_absorption.yaml"


def test_verification_cases_pass():
    results = verify_study(uqscale.load_study(STUDY))
    assert len(results) == 3 and all(r.passed for r in results)


def test_verification_catches_a_mutated_model():
    study = uqscale.load_study(STUDY)
    step = study.models[0]
    wrong = step.__class__(**{**step.__dict__, "parameters": {**step.parameters, "dose": 101.0}})
    assert not any(r.passed for r in verify_study(study.replace(models=[wrong])))


def test_both_variants_keep_auc_equal_to_dose_over_clearance():
    from studies.models.oral_absorption import oral_dose

    found = oral_dose(
        np.array(["first_order", "zero_order"]), [0.7, 1.3], [5.0, 5.0], [30.0, 30.0], t_end=96.0
    )
    np.testing.assert_allclose(found["auc"], 100.0 / 5.0, rtol=1e-4)  # trapezoid at h = 0.01 h
    assert found["cmax"][0] != found["cmax"][1]
