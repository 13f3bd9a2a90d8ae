"""codon_cascade: the chemostat against a stiff reference solver and the washout
criterion, and verification cases that fail when the model is broken."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from studies.models import codon_cascade
from tests.studies.perturbed import failing_cases, replacing


def _uniform(rng, low, high, n, log=False):
    if log:
        return 10 ** rng.uniform(np.log10(low), np.log10(high), n)
    return rng.uniform(low, high, n)


def test_washout_exactly_when_growth_at_inflow_is_below_dilution():
    rng = np.random.default_rng(1)
    n = 400
    growth = _uniform(rng, 0.05, 0.8, n)
    dilution = _uniform(rng, 0.1, 0.7, n)
    s_in = _uniform(rng, 0.5, 5, n)
    out = codon_cascade.chemostat(
        growth, dilution, s_in, np.full(n, 1e-7), np.full(n, 1e-8), t_end=50.0
    )
    at_inflow = growth * s_in / (0.2 + s_in)
    clear = np.abs(at_inflow / dilution - 1) > 1e-6
    assert clear.sum() > 390 and 0.2 < (at_inflow < dilution).mean() < 0.8
    np.testing.assert_array_equal(out["washout"][clear], (at_inflow < dilution)[clear])


def _chemostat_reference(mu_e, dilution, s_in, frequency, nu, t_end=2000.0):
    """Loss time from Radau at tight tolerances, with an event."""

    def rhs(t, y):
        s, x_e, x_w = y
        m = s / (0.2 + s)
        return [
            dilution * (s_in - s) - (mu_e * x_e + 0.8 * x_w) * m / 0.5,
            (mu_e * (1 - nu) * m - dilution) * x_e,
            (0.8 * m - dilution) * x_w + nu * mu_e * m * x_e,
        ]

    def lost(t, y):
        return y[1] - max(y[2], 0.001)

    lost.terminal, lost.direction = True, -1
    solution = solve_ivp(
        rhs,
        (0, t_end),
        [s_in, 0.01, 0.01 * frequency],
        method="Radau",
        rtol=1e-10,
        atol=1e-14,
        events=lost,
    )
    return solution.t_events[0][0] if len(solution.t_events[0]) else t_end


@pytest.mark.slow
def test_chemostat_loss_time_matches_a_stiff_reference_solver():
    rng = np.random.default_rng(2)
    n = 6
    cell = codon_cascade.enzyme(
        _uniform(rng, 1e-4, 1e-1, n, log=True), _uniform(rng, 2, 40, n), _uniform(rng, 0, 6, n)
    )
    dilution, s_in = _uniform(rng, 0.1, 0.7, n), _uniform(rng, 0.5, 5, n)
    frequency = _uniform(rng, 1e-9, 1e-5, n, log=True)
    nu = _uniform(rng, 1e-10, 1e-5, n, log=True)
    out = codon_cascade.chemostat(cell["max_growth_rate"], dilution, s_in, frequency, nu)
    reference = [
        _chemostat_reference(*args)
        for args in zip(cell["max_growth_rate"], dilution, s_in, frequency, nu, strict=True)
    ]
    # First-order splitting with dt = 0.2 h: about 1e-4 relative.
    np.testing.assert_allclose(out["loss_time"], reference, rtol=5e-4)
    alone = codon_cascade.chemostat(
        cell["max_growth_rate"][:2], dilution[:2], s_in[:2], frequency[:2], nu[:2]
    )
    for key, value in alone.items():
        np.testing.assert_array_equal(value, out[key][:2])


def test_collapse_is_exponential_not_linear():
    """n eps = 4: (1 - eps)^n is within 2 % of exp(-n eps), far from 1 - n eps < 0,
    and the growth rate falls to a quarter of the wild type's."""
    out = codon_cascade.enzyme(np.array([0.1]), np.array([40.0]), np.array([0.0]))
    assert out["functional_fraction"][0] == pytest.approx(np.exp(-4.0), rel=0.2)
    assert out["max_growth_rate"][0] < 0.1 * 0.8


@pytest.mark.slow
def test_wrong_misreading_law_fails_verification(monkeypatch):
    """The linear law 1 - n eps in place of (1 - eps)^n."""
    linear = replacing(monkeypatch, "cell", "all_sites_read", lambda _: lambda p, n: 1 - p * n)
    assert "functional_fraction_collapse" in failing_cases(
        "codon_cascade", linear, cases=["functional_fraction_collapse"]
    )


@pytest.mark.slow
def test_no_de_novo_escape_or_a_first_order_update_fails_verification(monkeypatch):
    takeover = ["takeover_time_standing", "takeover_time_de_novo"]
    # The mutants' birth term to first order in the step.
    first_order = replacing(monkeypatch, "chemostat", "_relative_expm1", lambda _: np.ones_like)
    assert failing_cases("codon_cascade", first_order, cases=takeover) == takeover
    monkeypatch.undo()
    assert failing_cases("codon_cascade", cases=takeover) == []
    # A faster escape mutant (mu_max of the chemostat off by 5 %).
    assert (
        failing_cases("codon_cascade", parameters={"chemostat": {"mu_max": 0.84}}, cases=takeover)
        == takeover
    )
