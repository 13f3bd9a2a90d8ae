"""Convective plumes on a dx grid: exact pieces, Fourier analysis of the resolved
flux at fine spacings, and the three regimes with the two schemes."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

PLUME = 400.0  # m, plume width of most tests
FINE = PLUME / np.array([8.0, 16.0, 32.0])  # three grids refined by 2, dx << l
SAMPLE = {"surface_flux": 200.0, "entrainment": 1.0, "plume_width": PLUME, "lapse_rate": 1.5}
POINTS = 2**15  # fine grid of the unit domain


def fine_field(module, plumes, seed, layout, width):
    """G and its first four derivatives on a fine grid of the unit domain (spectral)."""
    centres = module.plume_layout(plumes, seed, layout)
    s = width / np.sqrt(2.0 * np.pi)
    x = (np.arange(POINTS) + 0.5) / POINTS
    gap = (x[:, None] - centres[None, :] + 0.5) % 1.0 - 0.5
    field = np.exp(-(gap**2) / (2.0 * s * s)).sum(axis=1)
    k = 2.0 * np.pi * np.fft.fftfreq(POINTS, 1.0 / POINTS)
    spectrum = np.fft.fft(field)
    return field, [np.fft.ifft((1j * k) ** m * spectrum).real for m in range(1, 5)]


def test_plume_profile_solves_the_plume_equations(convection):
    w0, dtheta0, eps, lapse = 1.3, 1.1, 1.2e-3, 1.5e-3
    beta = 2.0 * convection.VIRTUAL_MASS * convection.GRAVITY / convection.THETA0

    def rhs(z, y):
        return [beta * y[1] - 2.0 * convection.DRAG * eps * y[0], -eps * y[1] - lapse]

    z = np.linspace(0.0, 800.0, 9)
    w, dtheta = convection.plume_profile(w0, dtheta0, eps, lapse, z)
    ode = solve_ivp(rhs, (0.0, 800.0), [w0**2, dtheta0], t_eval=z, rtol=1e-11, atol=1e-12)
    assert (ode.y[0] > 0).all()  # the plume is alive up to 800 m
    np.testing.assert_allclose(w**2, ode.y[0], rtol=1e-8)
    np.testing.assert_allclose(dtheta, ode.y[1], rtol=1e-8, atol=1e-10)
    # Above its top the plume carries nothing.
    high = convection.plume_profile(w0, dtheta0, eps, lapse, np.array([4000.0]))[0]
    assert high[0] == 0.0


def test_variance_and_cell_averages_are_exact(convection):
    width = PLUME / 12800.0
    field, _ = fine_field(convection, 8, 1, 0, width)
    centres = convection.plume_layout(8, 1, 0)
    assert convection.true_variance(centres, width) == pytest.approx(field.var(), rel=1e-9)
    cells = 64
    blocks = field.reshape(cells, -1).mean(axis=1)  # midpoint rule, h = 1/POINTS
    np.testing.assert_allclose(convection.cell_averages(centres, width, cells), blocks, atol=1e-6)


@pytest.mark.parametrize("dx", FINE)
def test_resolved_deficit_follows_the_schemes_fourier_symbols(convection, dx):
    # Leading terms: cell averaging keeps |sinc(k dx / 2)|^2 = 1 - (k dx)^2 / 12 of
    # each mode; third-order upwind over a distance X keeps
    # exp(-(2 X / 3 dx)(1 - cos k dx)^2) = 1 - X k^4 dx^3 / 6. Summed over the
    # spectrum (Parseval), the deficit 1 - V_res / V is
    # dx^2 <G'^2> / 12 V + X dx^3 <G''^2> / 6 V; the tolerance is the size of the
    # next terms of the same expansions.
    out = convection.column(**SAMPLE, dx=dx, scheme="scale_aware", layouts=1, seed=1)
    width = round(12800.0 / dx) * dx
    h = dx / width
    field, (d1, d2, d3, d4) = fine_field(convection, 8, 1, 0, PLUME / width)
    variance = field.var()
    m1, m2, m3, m4 = ((d**2).mean() / variance for d in (d1, d2, d3, d4))
    z = np.concatenate([[0.0], convection.level_heights()])
    drift = z / width  # advection = 1, in domain widths
    predicted = h**2 * m1 / 12.0 + drift * h**3 * m2 / 6.0
    next_terms = (
        h**4 * m2 / 360.0
        + drift * h**5 * m3 * (1 / 36 + 1 / 72)
        + (drift * h**3 / 6.0) ** 2 * m4 / 2.0
    )
    alive = out["true"] != 0
    assert alive.sum() > 5
    deficit = 1.0 - out["resolved"][alive] / out["true"][alive]
    np.testing.assert_array_less(np.abs(deficit - predicted[alive]), 2.0 * next_terms[alive])
    # Above the surface the scale-aware scheme is off (sigma = 1): the total is what
    # the grid resolves.
    np.testing.assert_array_equal(out["total"], out["resolved"])


def test_scale_aware_total_converges_to_the_surface_forcing(convection):
    errors = np.array(
        [
            convection.convection(**SAMPLE, dx=dx, scheme="scale_aware")["flux_error"][0]
            for dx in FINE
        ]
    )
    # Second order (cell averages; no advection at the surface), within the shift the
    # next term (relative (k dx)^2 / 30, k ~ 2 / s, at the coarsest grid) allows.
    s = PLUME / np.sqrt(2.0 * np.pi)
    next_relative = (2.0 * FINE[0] / s) ** 2 / 30.0
    order = np.log((errors[0] - errors[1]) / (errors[1] - errors[2])) / np.log(2.0)
    assert abs(order - 2.0) < np.log2(1.0 + next_relative)
    assert (errors < 0).all()  # averaging only loses variance
    assert abs(errors[-1]) < 1e-3
    conventional = convection.convection(**SAMPLE, dx=FINE[-1])["flux_error"][0]
    assert conventional == pytest.approx(1.0 + errors[-1], abs=1e-12)  # counted twice


def test_coarse_grid_leaves_the_flux_to_the_scheme(convection):
    # One plume of width l in cells of 16 l: its cell values c_j sum to l / dx, so
    # sum c_j^2 <= (l / dx)^2 and the resolved share of the variance is at most
    # (l / dx - l / L) / (1 / sqrt(2) - l / L), for every plume position.
    plume, dx, domain = 200.0, 3200.0, 12800.0
    bound = (plume / dx - plume / domain) / (1.0 / np.sqrt(2.0) - plume / domain)
    sample = {**SAMPLE, "plume_width": plume}
    for layout_seed in range(6):
        conv = convection.convection(**sample, dx=dx, plumes=1, seed=layout_seed)
        aware = convection.convection(
            **sample, dx=dx, plumes=1, seed=layout_seed, scheme="scale_aware"
        )
        resolved = conv["resolved_fraction"][0]
        assert 0.0 <= resolved <= bound * (1.0 + 1e-12)  # equal: plume inside a cell
        # Both schemes carry the flux; the conventional one adds what is resolved.
        assert conv["flux_error"][0] == pytest.approx(resolved, abs=1e-12)
        share = 1.0 - resolved / (1.0 + aware["flux_error"][0])
        assert share >= (1.0 - plume / dx) ** 2 / ((1.0 - plume / dx) ** 2 + bound)


@pytest.mark.parametrize("ratio", [0.5, 1.0, 2.0, 4.0])
def test_grey_zone_conventional_double_counts_more_than_scale_aware(convection, ratio):
    dx = ratio * PLUME
    conv = convection.column(**SAMPLE, dx=dx)
    aware = convection.column(**SAMPLE, dx=dx, scheme="scale_aware")
    resolved = conv["resolved"]
    alive = conv["true"] != 0
    # The conventional total exceeds the truth by exactly the resolved flux.
    np.testing.assert_allclose(conv["total"] - conv["true"], resolved, rtol=1e-12, atol=1e-12)
    share = resolved[0] / conv["true"][0]
    assert 0.1 < share < 0.95  # partly resolved: the grey zone
    # Column-integrated departures (absolute flux error summed over the levels).
    conv_departure = np.abs(conv["total"] - conv["true"])[alive].sum()
    aware_departure = np.abs(aware["total"] - aware["true"])[alive].sum()
    assert aware_departure < conv_departure
    heat = {
        scheme: convection.convection(**SAMPLE, dx=dx, scheme=scheme)["flux_error"][0]
        for scheme in ("conventional", "scale_aware")
    }
    assert heat["conventional"] > abs(heat["scale_aware"]) > 0


def test_unknown_scheme_is_refused(convection):
    with pytest.raises(ValueError, match="scheme must be one of"):
        convection.convection(**SAMPLE, dx=100.0, scheme="adaptive")
