"""Nagumo fronts, sqrt(sigma) scaling and fibrosis: the physics of
studies/cardiac_fibrosis.yaml."""

from __future__ import annotations

import numpy as np
import pytest

from tests.studies_ii.conftest import study_module

cf = study_module("cardiac_fibrosis")
RATE = cf.KINETICS["k"] / cf.KINETICS["time_scale"]


def nagumo_speed(sigma, a):
    """Front speed of u_t = sigma u_xx + r u (1 - u)(u - a): sqrt(2 sigma r) (1/2 - a)."""
    return np.sqrt(2.0 * sigma * RATE) * (0.5 - a)


def planar_cv(sigma, a=0.15, eps0=0.0, dx=0.25, length=50.0, ny=1):
    """Conduction velocity of a planar wave on a fibrosis-free strip ``length`` mm long."""
    n = len(sigma)
    out = cf.tissue_activation(np.asarray(sigma, dtype=float), np.full(n, a), np.full(n, eps0),
                               np.zeros(n), np.zeros(n), np.full(n, 300.0),
                               nx=round(length / dx), ny=ny, dx=dx, t_max=300.0)
    return out["cv"]


def test_nagumo_front_speed_converges_at_second_order():
    """The explicit scheme (dt ~ dx^2) is second order: halving dx quarters the error,
    which at dx = 0.25 mm is below 0.2 %."""
    sigma = np.array([1.0])
    errors = [abs(planar_cv(sigma, dx=dx)[0] / nagumo_speed(1.0, 0.15) - 1.0)
              for dx in (0.5, 0.25)]
    assert errors[1] < 0.002
    order = np.log2(errors[0] / errors[1])
    assert 1.5 < order < 2.5


@pytest.mark.parametrize("a", [0.1, 0.2])
def test_nagumo_front_speed_follows_the_threshold(a):
    assert planar_cv([1.0], a=a)[0] == pytest.approx(nagumo_speed(1.0, a), rel=0.003)


def test_conduction_velocity_scales_as_sqrt_sigma_with_full_kinetics():
    """With recovery (eps0 > 0) there is no closed-form speed, but the equation is
    invariant under x -> x sqrt(sigma): four times sigma, twice the speed. The grid error
    at dx = 0.25 mm differs between the two by under 0.2 %."""
    cv = planar_cv([0.5, 2.0], eps0=0.0025)
    assert cv[1] / cv[0] == pytest.approx(2.0, rel=0.005)


def test_two_dimensional_sheet_reproduces_the_planar_front():
    """No fibrosis: a planar wave on the study's 48 x 20 sheet moves at the Nagumo
    speed (grid error about 0.7 % at dx = 0.5 mm)."""
    cv = planar_cv([1.0], dx=0.5, length=24.0, ny=20)
    assert cv[0] == pytest.approx(nagumo_speed(1.0, 0.15), rel=0.015)


def tissue(fibrosis, pattern=0.3, sigma=1.0, **kwargs):
    n = len(fibrosis)
    return cf.tissue_activation(np.full(n, sigma), np.full(n, 0.15), np.full(n, 0.0025),
                                np.asarray(fibrosis, dtype=float), np.full(n, pattern),
                                np.full(n, 300.0), seed=11, **kwargs)


def test_fibrosis_slows_conduction_and_blocks_tissue():
    out = tissue([0.0, 0.1, 0.2])
    assert out["cv"][0] > out["cv"][1] > out["cv"][2] > 0
    assert out["blocked"][0] == 0.0
    assert np.all(np.diff(out["activation"][:, -1]) > 0)        # later at the far edge
    # Nested patterns: each fraction adds fibrotic sites to the same draw.
    kept = [cf.fibrosis_pattern(f, 0.3, 11, 20, 48, 5) for f in (0.1, 0.2)]
    assert np.all(kept[0] | ~kept[1])


def test_fibrotic_sites_never_activate_and_block_is_reported():
    """Above the percolation threshold of the square lattice (41 % fibrotic) no
    conducting path crosses the sheet: no velocity, most tissue blocked."""
    out = tissue([0.6])
    assert out["cv"][0] == 0.0
    assert out["blocked"][0] > 0.5
    assert out["activation"][0, -1] == 100.0                    # t_max: never reached


def test_tissue_results_do_not_depend_on_the_batch():
    fibrosis = np.array([0.05, 0.2, 0.3])
    batch = tissue(fibrosis)
    alone = tissue(fibrosis[1:2])
    for name, values in batch.items():
        np.testing.assert_array_equal(values[1:2], alone[name])


def test_action_potential_duration():
    out = cf.cell_action_potential(np.array([0.15, 0.15, 0.15]), np.array([0.001, 0.002, 0.0]))
    assert out["apd"][0] > out["apd"][1] > 200.0              # slower recovery, longer AP
    assert out["apd"][2] == 800.0                              # eps0 = 0: never repolarises
    fine = cf.cell_action_potential(np.array([0.15]), np.array([0.002]), dt=0.025)
    assert fine["apd"][0] == pytest.approx(out["apd"][1], rel=1e-3)   # first order in dt
