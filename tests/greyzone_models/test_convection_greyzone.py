"""Dry convection on a grid of spacing dx: the resolved solver against linear
stability theory (onset and growth rate, order 2), its heat budget, the mass-flux
schemes, and mutations that the checks catch."""

import numpy as np
import pytest

ONSET = {  # Chandrasekhar (1961): critical Rayleigh number and wavenumber
    ("free", "free"): (27.0 * np.pi**4 / 4.0, np.pi / np.sqrt(2.0)),
    ("rigid", "rigid"): (1707.76, 3.117),
    ("rigid", "free"): (1100.65, 2.682),
}


def extrapolated_onset(convection, walls, levels=(8, 16)):
    """Richardson-extrapolated critical Rayleigh number (order 2) of the solver, the
    grid refined in x and z together."""
    ra, k = ONSET[walls]
    values = []
    for n in levels:
        low, high = 0.97 * ra, 1.03 * ra
        rates = [convection.growth_rate(r, k, walls, n, columns_per_wave=n) for r in (low, high)]
        values.append(low - rates[0] * (high - low) / (rates[1] - rates[0]))
    return values[1] + (values[1] - values[0]) / 3.0, values


@pytest.mark.parametrize("walls", list(ONSET))
def test_onset_matches_linear_stability(convection, walls):
    onset, raw = extrapolated_onset(convection, walls)
    assert onset == pytest.approx(ONSET[walls][0], rel=5e-3)
    assert abs(raw[1] / ONSET[walls][0] - 1) < abs(raw[0] / ONSET[walls][0] - 1) / 3.0


def exact_free_growth(rayleigh, k, prandtl=1.0):
    """Growth rate of the free-free roll sin(pi z) cos(k x): the larger root of
    (s + Pr a^2)(s + a^2) a^2 = Ra Pr k^2, a^2 = k^2 + pi^2."""
    a2 = k * k + np.pi**2
    b = (1.0 + prandtl) * a2
    c = prandtl * a2 * a2 - rayleigh * prandtl * k * k / a2
    return (-b + np.sqrt(b * b - 4.0 * c)) / 2.0


def test_growth_rate_converges_at_second_order(convection):
    k, ra = np.pi / np.sqrt(2.0), 1500.0
    exact = exact_free_growth(ra, k)
    errors = np.array(
        [
            convection.growth_rate(ra, k, ("free", "free"), n, columns_per_wave=n) - exact
            for n in (8, 16, 32)
        ]
    )
    orders = np.log2(errors[:-1] / errors[1:])
    np.testing.assert_allclose(orders, 2.0, atol=0.15)


def convecting_state(convection, scheme, walls=("rigid", "rigid"), seed=3):
    """A developed random state: the noisy conduction profile run for a while."""
    grid = convection.Grid(16, 12, 0.25)
    model = convection.Convection(grid, 3e4, 0.7, scheme, walls=walls)
    start = model.diagnose(*convection.conduction_state(grid, 0.05, seed))
    return model, convection.integrate(model, start, 0.05)[0]


@pytest.mark.parametrize("scheme", ["none", "conventional", "scale_aware"])
def test_heat_budget_closes_on_the_walls(convection, scheme):
    # Advection (Arakawa) and the mass-flux scheme (flux form) move heat and never make
    # it. Summed by parts, Arakawa's Jacobian next to a wall where psi = 0 and theta is
    # uniform is the flux form with (w theta)_1 / 3 through the wall-side face: the
    # domain's heat changes by the wall fluxes only (conduction plus that face flux),
    # and the scheme's heating sums to zero in every column.
    model, state = convecting_state(convection, scheme)
    grid, theta = model.grid, state.theta
    assert state.psi.std() > 1.0  # convecting
    if scheme != "none":
        assert np.abs(state.flux).max() > 0.1  # the scheme is active
    _, dtheta = model.tendencies(state)
    w = -(np.roll(state.psi, -1, axis=1) - np.roll(state.psi, 1, axis=1)) / (2 * grid.dx)
    bottom = (theta[0] - theta[1]) / grid.dz + w[1] * theta[1] / 3.0
    top = (theta[-2] - theta[-1]) / grid.dz + w[-2] * theta[-2] / 3.0
    heat = (dtheta.sum(axis=0) * grid.dz).sum()
    assert heat == pytest.approx((bottom - top).sum(), abs=1e-10 * np.abs(bottom).sum())
    column_heating = convection.convergence(state.flux, grid).sum(axis=0) * grid.dz
    np.testing.assert_allclose(column_heating, 0.0, atol=1e-12 * max(1.0, np.abs(state.flux).max()))


def test_conventional_double_counts_and_scale_aware_does_not(convection):
    # Fine grid: resolved convection carries the flux; the conventional scheme adds its
    # own on top (Nu above the resolved truth), the scale-aware one switches off.
    sample = dict(rayleigh=2e4, prandtl=1.0, entrainment=2.0, area_fraction=0.05)
    out = {
        scheme: convection.run_sample(**sample, dx=0.25, scheme=scheme, duration=0.3)
        for scheme in ("none", "conventional", "scale_aware")
    }
    truth = out["none"]["nusselt"]
    assert truth > 2.0 and out["none"]["resolved_fraction"] == 1.0
    assert out["conventional"]["nusselt"] > 1.05 * truth
    assert abs(out["scale_aware"]["nusselt"] / truth - 1) < 0.6 * (
        out["conventional"]["nusselt"] / truth - 1
    )
    assert out["scale_aware"]["sigma"] > 0.5


def test_coarse_grid_leaves_the_transport_to_the_scheme(convection):
    # dx = 32 depths: the resolvable rolls are far below onset (Ra_c(k) grows like
    # 1 / k^2), nothing convects on the grid and both schemes carry everything alike.
    sample = dict(rayleigh=5e4, prandtl=1.0, entrainment=2.0, area_fraction=0.05, dx=32.0)
    alone = convection.run_sample(**sample, scheme="none", duration=0.2)
    assert alone["nusselt"] == pytest.approx(1.0, abs=1e-6)
    conv = convection.run_sample(**sample, scheme="conventional", duration=0.2)
    aware = convection.run_sample(**sample, scheme="scale_aware", duration=0.2)
    assert max(conv["resolved_fraction"], aware["resolved_fraction"], aware["sigma"]) < 1e-6
    assert conv["nusselt"] > 2.0
    assert aware["nusselt"] == pytest.approx(conv["nusselt"], rel=1e-6)


def test_thom_mutation_breaks_the_rigid_onset(convection, monkeypatch):
    # A wrong no-slip wall vorticity (first-order factor 1 in place of 2) moves the
    # onset far from 1708: the onset check catches it.
    def mutant(eta, psi, grid, walls):
        for row, inner, kind in ((0, 1, walls[0]), (-1, -2, walls[1])):
            eta[row] = psi[inner] / grid.dz**2 if kind == "rigid" else 0.0

    monkeypatch.setattr(convection, "wall_vorticity", mutant)
    onset, _ = extrapolated_onset(convection, ("rigid", "rigid"))
    assert abs(onset / ONSET[("rigid", "rigid")][0] - 1) > 0.05


def test_leaky_scheme_mutation_breaks_the_heat_budget(convection, monkeypatch):
    # A scheme that drops its flux at the updraft top (heat leaves, never arrives)
    # fails the budget check.
    original = convection.convergence

    def leaky(flux, grid):
        return original(flux, grid) - 0.5 * flux[1:] / grid.dz

    monkeypatch.setattr(convection, "convergence", leaky)
    with pytest.raises(AssertionError):
        test_heat_budget_closes_on_the_walls(convection, "conventional")


def test_unknown_scheme_and_walls_are_refused(convection):
    with pytest.raises(ValueError, match="scheme must be one of"):
        convection.convection(2e4, 1.0, 2.0, 0.05, dx=1.0, scheme="adaptive")
    with pytest.raises(ValueError, match="walls must be"):
        convection.growth_rate(1e3, 3.0, ("rigid", "slippery"))
