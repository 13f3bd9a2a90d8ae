"""The computed Nagumo front against its exact speed ``sqrt(2 D) (1/2 - a)``."""

import numpy as np
import pytest

# Three grids refined by 2 in the asymptotic range, in front widths.
GRIDS = np.array([1 / 4, 1 / 8, 1 / 16])
# The modified equation's next term is O((dx / w)^2) relative to the leading one:
# at most 1/16 on these grids, which moves the observed order by < log2(1 + 1/16).
NEXT_TERM = GRIDS[0] ** 2
ORDER_TOLERANCE = np.log2(1 + NEXT_TERM)
DOMAIN = 45.0  # 30 widths of the widest front here: tails below e^-15


def test_speed_converges_with_order_two(front):
    width = np.array([1.0, 1.5, 1.0])
    a = np.array([0.15, 0.25, 0.4])
    exact = front.exact_speed(width, a)
    speeds = np.array(
        [front.front_speed(a, dx=h * width, width=width, domain=DOMAIN)["speed"] for h in GRIDS]
    )  # (grid, sample)
    order = np.log((speeds[0] - speeds[1]) / (speeds[1] - speeds[2])) / np.log(2.0)
    np.testing.assert_array_less(np.abs(order - 2.0), ORDER_TOLERANCE)
    # The error itself is the modified equation's leading term, C dx^2.
    for k, h in enumerate(GRIDS):
        predicted = np.array(
            [front.leading_error(w, ai, h * w) for w, ai in zip(width, a, strict=True)]
        )
        np.testing.assert_allclose(speeds[k] - exact, predicted, rtol=h**2)
    # Richardson extrapolation removes it: what is left is below the next term.
    extrapolated = speeds[2] + (speeds[2] - speeds[1]) / 3.0
    np.testing.assert_array_less(
        np.abs(extrapolated - exact), NEXT_TERM * np.abs(speeds[2] - exact)
    )


def test_leading_error_has_a_closed_form(front):
    # The solvability integral, evaluated by quadrature, is
    # -c (dx / w)^2 (3 - 2 (1 - 2a)^2) / 120 for every width and threshold.
    for width, a in [(0.7, 0.02), (1.0, 0.25), (2.0, 0.45)]:
        closed = (
            -front.exact_speed(width, a)
            * (0.1 / width) ** 2
            * (3.0 - 2.0 * (1.0 - 2.0 * a) ** 2)
            / 120.0
        )
        assert front.leading_error(width, a, 0.1) == pytest.approx(closed, rel=1e-9)


def test_time_error_is_far_below_the_spatial_error(front):
    # ETDRK4 is exact for the diffusion; what remains at dt = 0.1 must not disturb the
    # spatial error even on the finest grid (where it is smallest).
    width, a, dx = np.array([1.0]), np.array([0.25]), 1 / 16
    coarse = front.front_speed(a, dx=dx, width=width, dt=0.1, domain=DOMAIN)["speed"]
    fine = front.front_speed(a, dx=dx, width=width, dt=0.05, domain=DOMAIN)["speed"]
    spatial = abs(front.leading_error(1.0, 0.25, dx))
    assert abs(coarse - fine)[0] < 1e-3 * spatial


def test_front_is_pinned_well_above_its_width(front):
    # The anti-continuum estimate of the pinning spacing neglects the other sites'
    # departures from 0 and 1, of relative size d*/a ~ 0.1 here: a quarter above it
    # every front stops, a fifth below it every front runs.
    width, t_measure = 1.0, 80.0
    a = np.array([0.1, 0.25, 0.4])
    widths = np.full(3, width)
    pinned_at = np.array([front.pinning_spacing(width, ai) for ai in a])
    assert pinned_at[0] > pinned_at[1] > pinned_at[2] > 2 * width
    out = front.front_speed(a, dx=1.25 * pinned_at, width=widths, t_measure=t_measure)
    # A moving lattice front crosses whole cells; these drift by under 1 % of a cell
    # in the whole measurement window (relaxation of the pinned profile).
    np.testing.assert_array_less(np.abs(out["speed"]) * t_measure, 0.01 * 1.25 * pinned_at)
    running = front.front_speed(a, dx=0.8 * pinned_at, width=widths)
    np.testing.assert_array_less(0.1, 1.0 + running["speed_error"])
    np.testing.assert_array_less(running["speed_error"], 0.0)


def test_accepts_d_or_width_and_mixed_spacings(front):
    by_d = front.front_speed([0.25, 0.25], dx=[2.0, 0.5], D=[0.5, 0.5])
    by_width = front.front_speed([0.25, 0.25], dx=[2.0, 0.5], width=[1.0, 1.0])
    np.testing.assert_allclose(by_d["speed"], by_width["speed"], rtol=1e-12)
    # A sample's result does not depend on the other samples of its batch.
    alone = front.front_speed([0.25], dx=0.5, width=[1.0])
    np.testing.assert_allclose(by_width["speed"][1:], alone["speed"], rtol=1e-12)
    with_others = front.front_speed([0.1, 0.25, 0.4], dx=0.5, width=[2.0, 1.0, 1.5])
    np.testing.assert_allclose(with_others["speed"][1], alone["speed"][0], rtol=1e-12)
