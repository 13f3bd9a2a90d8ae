"""Lennard-Jones dynamics, Green-Kubo, Pries in vivo and Poiseuille: the physics of
studies/greenkubo_capillary.yaml."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter

import uqscale
from tests.studies_ii.conftest import STUDIES, study_module

gk = study_module("greenkubo_capillary")


def lj_system(cells: int = 2, density: float = 0.8442, jitter: float = 0.05, seed: int = 0):
    """An fcc lattice displaced at random (so forces and shear stresses are not zero)."""
    x, box = gk.fcc_lattice(cells, density)
    x = (x + jitter * np.random.default_rng(seed).standard_normal(x.shape)) % box
    return x, box


def pair_energy(x, box, cutoff, strain=0.0):
    """Truncated, shifted LJ energy summed over minimum-image pairs in numpy, with the
    pair vectors sheared affinely (``d_x += strain d_y``)."""
    d = x[:, None, :] - x[None, :, :]
    d -= box * np.rint(d / box)
    d[..., 0] += strain * d[..., 1]
    r2 = (d**2).sum(-1)[np.triu_indices(len(x), 1)]
    r2 = r2[r2 < cutoff**2]
    return np.sum(4 * (r2**-6 - r2**-3) - 4 * (cutoff**-12 - cutoff**-6))


def test_lj_forces_are_minus_the_gradient_and_the_virial_the_shear_derivative():
    """Central differences of an independent numpy energy: the forces to 1e-6 and the
    virial W_xy = sum d_x F_y = -dU/dgamma under affine shear d_x += gamma d_y (32 atoms,
    cutoff 1.6 below half the box)."""
    x, box = lj_system()
    forces = np.empty_like(x)
    potential, wxy, _, _ = gk.lj_forces(x, box, 1.6, forces)
    assert potential == pytest.approx(pair_energy(x, box, 1.6), rel=1e-12)
    h = 1e-6
    for atom, axis in [(0, 0), (5, 1), (17, 2)]:
        plus, minus = x.copy(), x.copy()
        plus[atom, axis] += h
        minus[atom, axis] -= h
        gradient = (pair_energy(plus, box, 1.6) - pair_energy(minus, box, 1.6)) / (2 * h)
        assert forces[atom, axis] == pytest.approx(-gradient, rel=1e-5, abs=1e-6)
    shear = (pair_energy(x, box, 1.6, h) - pair_energy(x, box, 1.6, -h)) / (2 * h)
    assert wxy == pytest.approx(-shear, rel=1e-5)
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-10)  # Newton's third law


def test_velocity_verlet_conserves_energy_to_second_order():
    """NVE: the total energy's fluctuation falls as dt^2 (4x for half the step) and is
    small; the thermostat sets the temperature it is given."""
    spread = []
    for dt in (0.004, 0.002):
        x, box = lj_system(cells=3, jitter=0.0)
        v = np.random.default_rng(1).standard_normal(x.shape)
        v -= v.mean(axis=0)
        thermostat = np.concatenate([np.full(300, 2.0), np.full(200, 0.722)])
        _, energy = gk.velocity_verlet(x, v, box, 2.5, dt, thermostat, int(2.0 / dt))
        spread.append(energy.std())
    assert spread[1] < 1e-3 * len(x)
    assert spread[0] / spread[1] == pytest.approx(4.0, rel=0.25)


def test_thermostat_sets_the_temperature():
    x, box = lj_system(cells=2, jitter=0.0)
    v = np.random.default_rng(2).standard_normal(x.shape)
    gk.velocity_verlet(x, v, box, 1.6, 0.005, np.full(50, 0.9), 0)
    assert np.sum(v**2) / (3 * (len(x) - 1)) == pytest.approx(0.9, rel=1e-12)


def test_green_kubo_integral_is_unbiased_and_its_error_is_honest():
    """Twenty replicas of an AR(1) signal with two equivalent components (variance 1,
    correlation time 1): their mean integral is 1 within four standard errors of the
    mean, and the block estimate of the error matches the replicas' spread (to the
    ~16 % a standard deviation from 20 values allows)."""
    a = np.exp(-0.1)
    values, errors = [], []
    for replica in range(20):
        noise = np.sqrt(1 - a * a) * np.random.default_rng(replica).standard_normal((2, 100_000))
        value, error = gk.green_kubo_integral(lfilter([1.0], [1.0, -a], noise), 0.1, 8.0, 10)
        values.append(value)
        errors.append(error)
    values = np.array(values)
    spread = values.std(ddof=1)
    # trapezoid bias (dt/tau)^2 / 12 ~ 1e-3, truncation exp(-8) ~ 3e-4: below the noise
    assert abs(values.mean() - 1.0) < 4 * spread / np.sqrt(len(values))
    assert 0.6 < np.mean(errors) / spread < 1.6


SHORT = {
    "seed": 5,
    "cells": 2,
    "cutoff": 1.6,
    "n_melt": 100,
    "n_equilibrate": 100,
    "n_steps": 1200,
    "gk_cutoff": 0.5,
    "n_blocks": 4,
}


def test_plasma_viscosity_is_reproducible_per_sample_and_independent_of_the_batch():
    t_star, replica, ratio = np.array([0.72, 0.70, 0.75]), np.array([0.1, 0.2, 0.3]), 1.7
    batch = gk.plasma_viscosity(t_star, replica, ratio, **SHORT)
    alone = gk.plasma_viscosity(t_star[1:2], replica[1:2], ratio, **SHORT)
    assert alone["eta_star"][0] == batch["eta_star"][1]
    other = gk.plasma_viscosity(t_star, replica + 0.5, ratio, **SHORT)
    assert not np.any(other["eta_star"] == batch["eta_star"])
    assert np.all(batch["eta_star_stderr"] > 0)


def test_corresponding_states_map_onto_water():
    """eps = k_B T / T*, sigma^3 = rho* / n_water, m = 18.015 u: the unit at the triple
    point, and a published value in place of the simulation passes through exactly."""
    sigma = (0.8442 / (993.33 / 18.01528e-3 * 6.02214076e23)) ** (1 / 3)
    assert sigma == pytest.approx(0.29405e-9, rel=1e-4)
    unit = np.sqrt(18.01528e-3 / 6.02214076e23 * 1.380649e-23 * 310.15 / 0.722) / sigma**2
    out = gk.plasma_viscosity([0.722], [0.0], [1.5], eta_star=3.24)
    assert out["mu_solvent"][0] == pytest.approx(3.24 * unit * 1e3, rel=1e-12)
    assert out["mu_plasma"][0] == pytest.approx(1.5 * out["mu_solvent"][0], rel=1e-12)
    assert out["eta_star_stderr"][0] == 0.0


def test_pries_in_vivo_curve():
    d = np.array([4.0, 6.5, 10.0, 40.0])
    layer = (d / (d - 1.1)) ** 2
    mu45 = 6 * np.exp(-0.085 * d) + 3.2 - 2.44 * np.exp(-0.06 * d**0.645)
    np.testing.assert_allclose(
        gk.pries_viscosity(d, 0.45), (1 + (mu45 - 1) * layer) * layer, rtol=1e-12
    )
    np.testing.assert_allclose(gk.pries_viscosity(d, 0.0), layer, rtol=1e-12)
    # more cells, more viscous; in vivo well above the glass-tube (in vitro) value
    assert np.all(np.diff(gk.pries_viscosity(8.0, np.linspace(0.1, 0.6, 6))) > 0)
    assert gk.pries_viscosity(6.5, 0.45) == pytest.approx(9.13, abs=0.01)


@pytest.mark.parametrize(
    "constant, value", [("REFERENCE_HAEMATOCRIT", 0.40), ("SURFACE_LAYER_UM", 1.0)]
)
def test_a_wrong_haematocrit_law_fails_the_verification(monkeypatch, constant, value):
    """The study's in vivo cases away from Hct 0.45 pass, and fail when the law's
    reference haematocrit or surface layer is changed."""
    cases = [
        c
        for c in uqscale.load_study(STUDIES / "greenkubo_capillary.yaml").verification
        if c.name.startswith("pries_vivo_hct")
    ]
    assert len(cases) == 2

    def errors():
        return [
            abs(
                float(gk.pries_viscosity(c.inputs["capillary_diameter"], c.inputs["haematocrit"]))
                - c.expected
            )
            / c.allowed
            for c in cases
        ]

    assert max(errors()) <= 1.0
    monkeypatch.setattr(gk, constant, value)
    assert min(errors()) > 1.0


def test_node_pressures_of_series_and_parallel_resistances():
    """Segment 0-1 in series with two parallel segments 1-2: the inflow Q sees
    R = R0 + 1 / (1/R1 + 1/R2)."""
    segments = ((0, 1, 1.0, 1.0), (1, 2, 1.0, 1.0), (1, 2, 1.0, 1.0))
    conductance = np.array([[1.0, 2.0, 3.0]])
    pressure = gk.node_pressures(conductance, segments, np.array([5.0]))
    np.testing.assert_allclose(pressure[0], [5.0 * (1.0 + 1.0 / 5.0), 1.0, 0.0], rtol=1e-12)


def test_ladder_conserves_flow_and_single_segment_is_poiseuille():
    mu = gk.apparent_viscosity(
        np.array([1.2]), np.array([0.45]), np.array([6.0]), network="single"
    )["mu_vessel"]
    out = gk.network_flow(mu, [6.0], [100.0], [30.0], network="single")
    mu_pa = 1.2e-3 * gk.pries_viscosity(6.0, 0.45)
    expected = 8 * mu_pa * 100e-6 * 30e-15 / (np.pi * (3e-6) ** 4) / gk.MMHG
    assert out["pressure_drop"][0] == pytest.approx(expected, rel=1e-12)
    assert out["min_capillary_flow"][0] == pytest.approx(30.0, rel=1e-12)
    # The ladder: the capillaries leaving node 1 carry the whole inflow between them.
    mu = gk.apparent_viscosity(np.array([1.2]), np.array([0.45]), np.array([6.5]))["mu_vessel"]
    d, length = gk.segment_sizes([6.5], [100.0])
    g = np.pi * (d * 0.5e-6) ** 4 / (8 * mu * 1e-3 * length * 1e-6)
    p = gk.node_pressures(g, gk.LADDER, np.array([100e-15]))[0]
    flows = g[0] * (p[[a for a, *_ in gk.LADDER]] - p[[b for _, b, *_ in gk.LADDER]])
    assert flows[1] + flows[2] == pytest.approx(100e-15, rel=1e-10)
    assert flows[7] + flows[8] == pytest.approx(100e-15, rel=1e-10)


def test_stokes_flow_holds_over_the_whole_input_range():
    """The largest Reynolds number at the design's extremes (thin, fast, thin blood)."""
    mu = gk.apparent_viscosity(np.array([0.6]), np.array([0.3]), np.array([5.0]))["mu_vessel"]
    out = gk.network_flow(mu, [5.0], [60.0], [160.0])
    assert out["reynolds_max"][0] < 0.1


def test_a_cutoff_beyond_half_the_box_is_refused():
    with pytest.raises(ValueError, match="half the box"):
        gk.plasma_viscosity([0.722], [0.0], [1.7], **{**SHORT, "cutoff": 2.5})


def pries_1990(fqb, hct, d_f, d_a, d_b):
    """Pries et al. (1990) written out independently: FQE_a of a diverging bifurcation."""
    x = (fqb - 0.4 / d_f) / (1 - 0.8 / d_f)
    logit = -6.96 * np.log(d_a / d_b) / d_f + (1 + 6.98 * (1 - hct) / d_f) * np.log(x / (1 - x))
    return 1 / (1 + np.exp(-logit))


def test_red_cell_fraction_of_a_bifurcation():
    """Symmetric: even split; the daughter with less flow gets a smaller share of the
    red cells than of the blood (plasma skimming); complementary daughters account for
    every cell; below X0 = 0.4 / d_F only plasma, above 1 - X0 all the cells."""
    assert gk.red_cell_fraction(0.5, 0.45, 10.0, 6.0, 6.0) == pytest.approx(0.5, abs=1e-15)
    for fqb, hct, d_f, d_a, d_b in [
        (0.3, 0.45, 10.0, 6.0, 6.0),
        (0.5, 0.3, 8.0, 5.0, 7.0),
        (0.7, 0.5, 12.0, 8.0, 6.0),
    ]:
        got = gk.red_cell_fraction(fqb, hct, d_f, d_a, d_b)
        assert got == pytest.approx(pries_1990(fqb, hct, d_f, d_a, d_b), rel=1e-12)
        assert got + gk.red_cell_fraction(1 - fqb, hct, d_f, d_b, d_a) == pytest.approx(1.0)
    assert gk.red_cell_fraction(0.3, 0.45, 10.0, 6.0, 6.0) < 0.3
    assert gk.red_cell_fraction(0.04, 0.45, 10.0, 6.0, 6.0) == 0.0
    assert gk.red_cell_fraction(0.97, 0.45, 10.0, 6.0, 6.0) == 1.0


def test_phase_separation_conserves_red_cells_at_every_node_of_the_ladder():
    d, length = gk.segment_sizes([6.5], [1.0])
    hct = gk.vessel_haematocrit(d[0], length[0], 0.4, gk.LADDER)
    conductance = d[0] ** 4 / (gk.pries_viscosity(d[0], hct) * length[0])
    pressure = gk.node_pressures(conductance[None], gk.LADDER, np.ones(1))[0]
    ends = np.array([(a, b) for a, b, *_ in gk.LADDER])
    flow = conductance * (pressure[ends[:, 0]] - pressure[ends[:, 1]])
    # a fixed point: the split of the converged flows returns the same haematocrits
    np.testing.assert_allclose(
        gk.split_red_cells(flow, pressure, d[0], gk.LADDER, 0.4), hct, atol=1e-10
    )
    for node in range(1, 7):
        net = sum(
            hct[k] * flow[k] * (int(ends[k, 1] == node) - int(ends[k, 0] == node))
            for k in range(len(gk.LADDER))
        )
        assert net == pytest.approx(0.0, abs=1e-12)
    assert hct[-1] == pytest.approx(0.4, rel=1e-10)  # the venule carries the feed
    assert hct.min() < 0.35 and hct.max() > 0.45  # the cells are not uniform


def test_phase_separation_can_be_switched_off_and_single_vessels_are_unchanged():
    args = (np.array([1.0]), np.array([0.4]), np.array([6.5]))
    uniform = gk.apparent_viscosity(*args, phase_separation=False)
    separated = gk.apparent_viscosity(*args)
    np.testing.assert_allclose(
        uniform["mu_vessel"][0], gk.pries_viscosity(gk.segment_sizes([6.5], [1.0])[0][0], 0.4)
    )
    assert uniform["min_capillary_haematocrit"][0] == 0.4
    assert separated["min_capillary_haematocrit"][0] < 0.4
    assert not np.allclose(uniform["mu_vessel"], separated["mu_vessel"])
    single = gk.apparent_viscosity(*args, network="single")
    assert single["min_capillary_haematocrit"][0] == 0.4
