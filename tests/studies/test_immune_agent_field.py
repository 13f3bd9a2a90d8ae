"""immune_agent_field: the field against K0 at second order, cells that divide and die
with per-sample seeding, escalation, and verification cases that fail when the model
is broken."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import k0

from studies.models import immune_agent_field
from tests.studies.perturbed import failing_cases, replacing


def _uniform(rng, low, high, n, log=False):
    if log:
        return 10 ** rng.uniform(np.log10(low), np.log10(high), n)
    return rng.uniform(low, high, n)


@pytest.mark.slow
def test_point_source_field_converges_to_k0_at_second_order():
    errors = []
    for n in (48, 96, 192):
        out = immune_agent_field.tissue(
            *(np.array([v]) for v in (1.0, 1.0, 1.0, 1.0, 0.1, 50.0, 5e-3, 100.0)),
            n_agents=0,
            focus_radius=0,
            n=n,
            t_end=8.0,
        )
        lam = np.sqrt(50 / 5e-3)
        errors.append(out["cytokine_profile"][0, 4] / (100 / (2 * np.pi * 50) * k0(256 / lam)) - 1)
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.1)


def _inputs(rng, n):
    kd = _uniform(rng, 0.01, 0.1, n, log=True)
    threshold = immune_agent_field.immune_cell(kd, _uniform(rng, 0.3, 0.7, n))
    return [
        threshold["activation_threshold"],
        kd,
        _uniform(rng, 0.2, 2, n, log=True),
        _uniform(rng, 0.05, 5, n, log=True),
        _uniform(rng, 0.05, 0.5, n, log=True),
        _uniform(rng, 20, 100, n, log=True),
        _uniform(rng, 5e-4, 5e-3, n, log=True),
        _uniform(rng, 5, 50, n, log=True),
    ]


def test_cells_divide_die_and_results_are_seeded_per_sample_and_batch_independent():
    args = _inputs(np.random.default_rng(4), 4)
    for column, value in zip(args, (0.05, 0.05, 2.0, 0.1, 0.5, 30.0, 1e-3, 30.0), strict=True):
        column[2] = value  # sample 2 activates a share of the cells within 2 h
    batch = immune_agent_field.tissue(*args, t_end=2.0, seed=11)
    alone = immune_agent_field.tissue(*(a[2:3] for a in args), t_end=2.0, seed=11)
    for key, value in alone.items():
        np.testing.assert_array_equal(value[0], batch[key][2])
    other_seed = immune_agent_field.tissue(*(a[2:3] for a in args), t_end=2.0, seed=12)
    assert 0 < alone["activated_fraction"][0] < 1
    assert other_seed["activated_fraction"][0] != alone["activated_fraction"][0]
    # Without activation, cells only die: about e^{-0.05 * 2} of 200 remain.
    resting = immune_agent_field.tissue(
        *args[:1], *(a[:1] for a in args[1:]), t_end=2.0, seed=11, focus_radius=0, death_rate=0.5
    )
    assert resting["activated_fraction"][0] == 0
    assert resting["cell_count"][0] == pytest.approx(np.exp(-1.0), abs=0.1)
    assert (batch["balance_error"] < 1e-12).all()


@pytest.mark.slow
def test_responses_are_contained_or_escalate():
    out = immune_agent_field.tissue(*_inputs(np.random.default_rng(0), 12), seed=1)
    assert 0 < out["escalated"].sum() < 12
    grown = out["cell_count"][out["escalated"] == 1]
    assert (grown > 1).all()  # escalation comes with expansion


@pytest.mark.slow
def test_sinks_dropped_fail_the_niche_and_the_balance(monkeypatch):
    cases = ["niche_with_uptake", "global_balance_cells"]
    assert failing_cases("immune_agent_field", cases=cases) == []

    sources_only = replacing(
        monkeypatch,
        "tissue",
        "_deposit",
        lambda deposit: lambda grid, amount, *rest: deposit(grid, np.maximum(amount, 0.0), *rest),
    )
    assert failing_cases("immune_agent_field", sources_only, cases=cases) == cases
