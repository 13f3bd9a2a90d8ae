"""Mitchell-Schaeffer kinetics, the front speed, restitution, phase singularities and
S1-S2 re-entry: the physics of studies/cardiac_fibrosis.yaml, and verification cases
that fail when the model is broken."""

from __future__ import annotations

import numpy as np
import pytest

from tests.studies.perturbed import failing_cases, replacing
from tests.studies_ii.conftest import study_module

cf = study_module("cardiac_fibrosis")


def cable_cv(dx, dt, sigma=0.2, tau_in=0.4, tau_out=6.0, tau_close=1e4):
    """The S1 wave's speed on a 40 mm cable (the S2 never comes: t_max)."""
    one = [np.array([v]) for v in (sigma, tau_in, tau_out, 120.0, tau_close, 0.0, 0.0, 0.0)]
    return cf.tissue_reentry(
        *one, n=round(40 / dx), ny=1, dx=dx, dt=dt, s2_delays=(500.0,), t_max=120.0
    )["cv"][0]


@pytest.mark.slow
def test_front_speed_converges_to_the_closed_form_at_second_order():
    exact = cf.front_speed(0.2, 0.4, 6.0)
    errors = [abs(cable_cv(dx, dt) / exact - 1) for dx, dt in ((0.2, 0.04), (0.1, 0.01))]
    assert errors[1] < 0.004
    assert 1.5 < np.log2(errors[0] / errors[1]) < 2.5


@pytest.mark.slow
def test_restitution_approaches_the_closed_form_at_first_order_in_tau_in():
    """Mitchell & Schaeffer's curve is asymptotic in tau_in / tau_out: halving tau_in
    halves the error of the APD shortening (it is 3 ms at tau_in = 0.05)."""
    di = (40.0, 160.0)
    errors = []
    for tau_in, dt in ((0.1, 0.01), (0.05, 0.005)):
        out = cf.cell_restitution(tau_in, 6.0, 120.0, 150.0, dt=dt, intervals=di)
        closed = cf.restitution_closed_form(
            2000.0, tau_in, 6.0, 120.0, 150.0
        ) - cf.restitution_closed_form(np.array(di), tau_in, 6.0, 120.0, 150.0)
        errors.append(np.abs(out["apd_shortening"][0] - closed))
    assert (errors[1] < 0.02 * closed).all()
    np.testing.assert_allclose(errors[0] / errors[1], 2.0, rtol=0.25)


def test_restitution_curve_rises_towards_the_steady_apd():
    out = cf.cell_restitution(np.array([0.3, 0.5]), 6.0, 120.0, np.array([150.0, 80.0]), dt=0.05)
    assert (np.diff(out["restitution"], axis=1) > 0).all()
    assert (out["restitution"][:, -1] < out["apd"]).all()
    assert out["apd"][0] > out["apd"][1]  # the gate closes more slowly


def test_phase_singularities_count_vortices_of_the_phase():
    y, x = np.mgrid[0:40, 0:40] + 0.5
    theta = np.arctan2(y - 20, x - 10) - np.arctan2(y - 20, x - 30)  # +1 and -1
    h_c = np.array([0.4])
    v, h = 0.5 + 0.3 * np.cos(theta), h_c + 0.3 * np.sin(theta)
    everywhere = np.ones((1, 40, 40), dtype=bool)
    assert cf.phase_singularities(v[None], h[None], h_c, everywhere)[0] == 2
    blocked = everywhere.copy()
    blocked[0, 19:22, 9:12] = False  # one core on fibrosis
    assert cf.phase_singularities(v[None], h[None], h_c, blocked)[0] == 1
    plane = np.arctan2(np.zeros_like(x), np.ones_like(x)) + 0.01 * x
    assert (
        cf.phase_singularities(
            (0.5 + np.cos(plane))[None], (h_c + np.sin(plane))[None], h_c, everywhere
        )[0]
        == 0
    )


def reference(fibrosis=(0.0,), delays=(60.0,), tau_close=80.0, sigma=0.2, **kwargs):
    n = len(fibrosis)
    apd = cf.cell_restitution(0.4, 6.0, 120.0, tau_close)["apd"]
    args = [np.full(n, v) for v in (sigma, 0.4, 6.0, 120.0, tau_close)]
    return cf.tissue_reentry(
        *args,
        np.asarray(fibrosis, dtype=float),
        np.full(n, 0.3),
        np.full(n, apd[0]),
        seed=11,
        s2_delays=delays,
        **kwargs,
    )


@pytest.mark.slow
def test_s2_starts_a_sustained_rotor_with_one_phase_singularity():
    out = reference()
    assert out["reentry"][0] == 1 and out["reentry_duration"][0] == 500.0
    assert 0.7 < out["phase_singularities"][0] < 1.5
    assert 150.0 < out["cycle_length"][0] < 250.0  # the rotor's period
    assert out["cv"][0] == pytest.approx(cf.front_speed(0.2, 0.4, 6.0), rel=0.08)
    assert out["blocked"][0] == 0.0
    early = reference(delays=(0.0,))  # S2 into refractory tissue
    assert early["reentry"][0] == 0 and early["reentry_duration"][0] == 0.0


@pytest.mark.slow
def test_fibrosis_slows_the_s1_wave_and_results_do_not_depend_on_the_batch():
    fibrosis = np.array([0.0, 0.25])
    batch = reference(fibrosis, delays=(0.0,), n=40)
    alone = reference(fibrosis[1:], delays=(0.0,), n=40)
    assert batch["cv"][0] > batch["cv"][1] > 0 and batch["blocked"][1] > 0
    for name, values in batch.items():
        np.testing.assert_array_equal(values[1:], alone[name])
    kept = [cf.fibrosis_pattern(f, 0.3, 11, (20, 48), 5) for f in (0.1, 0.2)]
    assert np.all(kept[0] | ~kept[1])  # nested patterns


def numpy_steps(v, h, g, taus, t_s2, s2_region, conducting, steps, dt):
    """The oracle of the fused kernel: forward Euler of the Mitchell-Schaeffer currents
    and the 5-point flux written with whole-array numpy operations, and the
    activation times (first before S2, first and last after it) and counts."""
    tau_in, tau_out, tau_open, tau_close = (taus[:, m, None, None] for m in range(4))
    marks = np.full((3, *v.shape), np.inf)
    count = np.zeros(v.shape, dtype=int)
    for step in range(steps):
        t = step * dt
        s2_now = (t <= t_s2) & (t_s2 < t + dt)
        v = np.where(s2_now[:, None, None] & s2_region, np.float32(1.0), v)
        p = np.pad(v, ((0, 0), (1, 1), (1, 1)))
        neighbours = (p[:, 1:-1, 2:], p[:, 1:-1, :-2], p[:, 2:, 1:-1], p[:, :-2, 1:-1])
        flux = sum(gn * (vn - v) for gn, vn in zip(g, neighbours, strict=True))
        current = h * v * v * (1 - v) / tau_in - v / tau_out
        new = v + np.float32(dt) * (current + flux)
        h = np.where(v < cf.V_GATE, h + dt * (1 - h) / tau_open, h - dt * h / tau_close)
        rising = (v < cf.UPSTROKE) & (new >= cf.UPSTROKE) & conducting
        after = (t >= t_s2)[:, None, None]
        marks[0] = np.where(rising & ~after & np.isinf(marks[0]), t + dt, marks[0])
        marks[1] = np.where(rising & after & np.isinf(marks[1]), t + dt, marks[1])
        marks[2] = np.where(rising & after, t + dt, marks[2])
        count += rising & after
        v = new
    return v, h, marks, count


def test_the_fused_kernel_equals_the_numpy_scheme_on_a_small_fibrotic_sheet():
    """Two sheets (S2 at 150 and 200 ms) of 12 x 16 sites, 30 % fibrotic, 300 ms (S1,
    S2 and their activations): the kernel's state and activation times are the
    array scheme's to float32 round-off."""
    shape, dt = (12, 16), 0.1
    conducting = np.stack([cf.fibrosis_pattern(0.3, q, 5, shape, 2) for q in (0.2, 0.7)])
    g = cf._couplings(conducting, np.array([0.2, 0.3]), 0.5).astype(np.float32)
    taus = np.array([[0.4, 6.0, 120.0, 80.0], [0.5, 5.0, 100.0, 60.0]], dtype=np.float32)
    t_s2 = np.array([150.0, 200.0])
    s2_region = conducting & (np.arange(shape[1]) < 8)
    v = np.where(np.arange(shape[1]) < 2, 1.0, 0.0) * np.ones((2, *shape))
    state = [v.astype(np.float32), np.ones((2, *shape), dtype=np.float32)]
    expected = numpy_steps(*state, g, taus, t_s2, s2_region, conducting, 3000, dt)
    marks, count, fired = (
        np.full((3, 2, *shape), np.inf),
        np.zeros((2, *shape), np.int32),
        np.zeros(2),
    )
    cf._advance(
        *state, g, taus, t_s2, s2_region, conducting, marks, count, fired,
        np.empty(shape, np.float32), 0, 3000, dt,
    )  # fmt: skip
    np.testing.assert_allclose(state[0], expected[0], atol=2e-5)
    np.testing.assert_allclose(state[1], expected[1], atol=2e-5)
    np.testing.assert_array_equal(marks, expected[2])
    np.testing.assert_array_equal(count, expected[3])
    assert (np.isfinite(marks[:2]).sum(axis=(2, 3)) > 10).all()  # both waves ran in both
    np.testing.assert_array_equal(fired, np.where(np.isinf(marks[2]), 0, marks[2]).max(axis=(1, 2)))


def test_a_time_step_above_the_stability_limit_is_refused():
    args = [np.array([v]) for v in (0.7, 0.4, 6.0, 120.0, 80.0, 0.0, 0.0, 100.0)]
    with pytest.raises(ValueError, match="stability limit"):
        cf.tissue_reentry(*args, n=8)


@pytest.mark.slow
def test_a_stronger_coupling_or_a_wrong_gate_fails_verification(monkeypatch):
    doubled_coupling = replacing(
        monkeypatch, "tissue", "_couplings", lambda couplings: lambda *a: 2.0 * couplings(*a)
    )
    assert failing_cases("cardiac_fibrosis", doubled_coupling, cases=["front_speed_1d"]) == [
        "front_speed_1d"
    ]
    monkeypatch.undo()

    # The gate opens with tau_close and closes with tau_open.
    swapped_gate = replacing(
        monkeypatch,
        "cell",
        "_membrane",
        lambda membrane: (
            lambda v, h, t_in, t_out, t_open, t_close, dt: membrane(
                v, h, t_in, t_out, t_close, t_open, dt
            )
        ),
    )
    assert failing_cases("cardiac_fibrosis", swapped_gate, cases=["restitution_closed_form"]) == [
        "restitution_closed_form"
    ]
