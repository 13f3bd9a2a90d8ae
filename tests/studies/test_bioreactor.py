"""bioreactor: second-order convergence, Newton's method at the extremes, and
verification cases that fail when the model is broken."""

from __future__ import annotations

import numpy as np
import pytest

from studies.models import bioreactor
from tests.studies.perturbed import failing_cases, replacing


def test_bioreactor_observed_order_is_two_with_flow_and_michaelis_menten():
    """Richardson (REFERENCES.md): p = ln((f3 - f2) / (f2 - f1)) / ln 2 on three grids."""
    groups = bioreactor.dimensionless_groups(
        *(np.array([v]) for v in (2e-3, 5e-3, 2e-9, 1e-3, 4e-6))
    )
    inputs = (groups["damkohler"], groups["peclet"], groups["kappa"])
    f1, f2, f3 = (
        bioreactor.tissue_oxygen(*inputs, nx=nx)["min_oxygen"][0] for nx in (400, 200, 100)
    )
    order = np.log((f3 - f2) / (f2 - f1)) / np.log(2)
    assert order == pytest.approx(2.0, abs=0.05)


def test_bioreactor_newton_converges_at_the_extremes_and_per_sample():
    da = np.array([1e-3, 1.0, 1e3, 5e3, 50.0])
    kappa = np.array([1e-3, 1e-4, 1e-3, 0.05, 10.0])
    pe = np.array([0.0, 20.0, 0.0, 10.0, 1.0])
    theta = bioreactor.solve_profile(da, kappa, pe, 200)
    assert (theta >= 0).all() and (theta <= 1 + 1e-12).all()
    assert (np.diff(theta, axis=1) >= -1e-12).all()  # rises towards the medium
    for k in range(len(da)):
        alone = bioreactor.solve_profile(da[k : k + 1], kappa[k : k + 1], pe[k : k + 1], 200)
        np.testing.assert_array_equal(alone[0], theta[k])


@pytest.mark.slow
def test_reversed_perfusion_or_a_wrong_damkohler_number_fails_verification(monkeypatch):
    flow = ["perfused_first_order_base", "perfused_zero_order_base"]
    assert failing_cases("bioreactor", cases=flow) == []

    reversed_flow = replacing(
        monkeypatch,
        "tissue",
        "solve_profile",
        lambda solve: lambda da, kappa, pe, *args: solve(da, kappa, -pe, *args),
    )
    assert failing_cases("bioreactor", reversed_flow, cases=flow) == flow
    monkeypatch.undo()
    # Oxygen in the medium taken as 0.25 instead of 0.2 mol/m3 in the groups only.
    assert "damkohler_number" in failing_cases(
        "bioreactor", parameters={"groups": {"c_surface": 0.25}}
    )
