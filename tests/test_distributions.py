"""Each distribution family maps the unit cube to the right law.

200,000 Monte Carlo points of the unit cube go through ``InputSpace.to_physical``; the
sample mean and variance must match the analytic values within 5 standard errors,
computed from the distribution's own variance (and fourth moment) and the sample size.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from uqscale import ModelStep, Study, UncertainInput
from uqscale.errors import StudyError
from uqscale.sampling import block_rng, unit_sample
from uqscale.space import InputSpace

N = 200_000
Z = 5.0  # standard errors allowed


def _truncnorm(mean, std, lower=-math.inf, upper=math.inf):
    return stats.truncnorm((lower - mean) / std, (upper - mean) / std, loc=mean, scale=std)


def _loguniform_moments(a, b):
    mean = (b - a) / math.log(b / a)
    return mean, (b * b - a * a) / (2 * math.log(b / a)) - mean**2


def _beta_moments(alpha, beta, low=0.0, high=1.0):
    width, total = high - low, alpha + beta
    return (low + width * alpha / total, width**2 * alpha * beta / (total**2 * (total + 1)))


def _triangular_moments(a, c, b):
    return (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18


# name: (distribution, params, analytic (mean, variance), scipy law for the fourth
# moment and the support)
CASES = {
    "uniform": ("uniform", {"low": -1.0, "high": 3.0}, (1.0, 16 / 12), stats.uniform(-1.0, 4.0)),
    "normal": ("normal", {"mean": 2.0, "std": 0.5}, (2.0, 0.25), stats.norm(2.0, 0.5)),
    "truncated normal": (
        "normal",
        {"mean": 0.0, "std": 1.0, "lower": -0.5, "upper": 2.0},
        None,
        _truncnorm(0.0, 1.0, -0.5, 2.0),
    ),
    "truncated normal, lower only": (
        "normal",
        {"mean": 1.0, "std": 2.0, "lower": 0.0},
        None,
        _truncnorm(1.0, 2.0, lower=0.0),
    ),
    "truncated normal, upper only": (
        "normal",
        {"mean": 1.0, "std": 2.0, "upper": -1.0},
        None,
        _truncnorm(1.0, 2.0, upper=-1.0),
    ),
    "lognormal": (
        "lognormal",
        {"mu": 0.3, "sigma": 0.4},
        (math.exp(0.3 + 0.4**2 / 2), (math.exp(0.4**2) - 1) * math.exp(2 * 0.3 + 0.4**2)),
        stats.lognorm(0.4, scale=math.exp(0.3)),
    ),
    "loguniform": (
        "loguniform",
        {"low": 0.1, "high": 10.0},
        _loguniform_moments(0.1, 10.0),
        stats.loguniform(0.1, 10.0),
    ),
    "beta": ("beta", {"alpha": 2.0, "beta": 5.0}, _beta_moments(2.0, 5.0), stats.beta(2.0, 5.0)),
    "beta on [1, 3]": (
        "beta",
        {"alpha": 0.5, "beta": 1.5, "low": 1.0, "high": 3.0},
        _beta_moments(0.5, 1.5, 1.0, 3.0),
        stats.beta(0.5, 1.5, loc=1.0, scale=2.0),
    ),
    "gamma": ("gamma", {"shape": 3.0, "theta": 2.0}, (6.0, 12.0), stats.gamma(3.0, scale=2.0)),
    "gamma, shifted": (
        "gamma",
        {"shape": 0.7, "theta": 1.5, "shift": -1.0},
        (0.7 * 1.5 - 1.0, 0.7 * 1.5**2),
        stats.gamma(0.7, loc=-1.0, scale=1.5),
    ),
    "triangular": (
        "triangular",
        {"low": 0.0, "mode": 1.0, "high": 4.0},
        _triangular_moments(0.0, 1.0, 4.0),
        stats.triang(0.25, 0.0, 4.0),
    ),
    "triangular, mode at low": (
        "triangular",
        {"low": 2.0, "mode": 2.0, "high": 5.0},
        _triangular_moments(2.0, 2.0, 5.0),
        stats.triang(0.0, 2.0, 3.0),
    ),
}


def analytic(case):
    _, _, moments, law = case
    if moments is None:  # truncated normal: scipy's truncnorm is the reference
        return float(law.mean()), float(law.var())
    return moments


@pytest.fixture(scope="module")
def physical():
    """All cases as one input space: column j must follow input j."""
    inputs = [
        UncertainInput(f"x{j}", dist, params)
        for j, (dist, params, _, _) in enumerate(CASES.values())
    ]
    space = InputSpace(inputs)
    unit = unit_sample("random", N, space.dimension, block_rng(20261127, "distributions"))
    return space.to_physical(unit)


@pytest.mark.parametrize("name", list(CASES))
def test_mean_and_variance(physical, name):
    column = list(CASES).index(name)
    x = physical[:, column]
    mean, variance = analytic(CASES[name])
    law = CASES[name][3]
    assert law.mean() == pytest.approx(mean, rel=1e-12, abs=1e-12)
    assert law.var() == pytest.approx(variance, rel=1e-12)
    # standard error of the sample mean, and of the sample variance (from the fourth
    # central moment mu4 = (excess kurtosis + 3) variance^2)
    mu4 = (float(law.stats(moments="k")) + 3.0) * variance**2
    assert abs(x.mean() - mean) <= Z * math.sqrt(variance / N)
    assert abs(x.var(ddof=1) - variance) <= Z * math.sqrt((mu4 - variance**2) / N)


@pytest.mark.parametrize("name", list(CASES))
def test_samples_lie_in_the_support(physical, name):
    x = physical[:, list(CASES).index(name)]
    low, high = CASES[name][3].support()
    assert np.all(np.isfinite(x))
    assert np.all((x >= low) & (x <= high))


@pytest.mark.parametrize("name", list(CASES))
def test_quantiles_match_scipy(name):
    dist, params, _, law = CASES[name]
    u = np.array([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    x = InputSpace([UncertainInput("x", dist, params)]).to_physical(u[:, None])[:, 0]
    np.testing.assert_allclose(x, law.ppf(u), rtol=1e-6, atol=1e-9)


def test_open_cube_edges_give_finite_values():
    # unit_sample clips to [eps, 1 - eps]: unbounded laws must still give finite values
    edge = np.finfo(float).eps
    u = np.array([[edge] * len(CASES), [1 - edge] * len(CASES)])
    inputs = [
        UncertainInput(f"x{j}", dist, params)
        for j, (dist, params, _, _) in enumerate(CASES.values())
    ]
    assert np.all(np.isfinite(InputSpace(inputs).to_physical(u)))


def test_empty_space():
    assert InputSpace([]).to_physical(np.empty((3, 0))).shape == (3, 0)


def test_scale_groups_in_order_of_first_appearance():
    inputs = [
        UncertainInput("a", "uniform", {"low": 0, "high": 1}, scale="micro"),
        UncertainInput("b", "uniform", {"low": 0, "high": 1}),
        UncertainInput("c", "uniform", {"low": 0, "high": 1}, scale="macro"),
        UncertainInput("d", "uniform", {"low": 0, "high": 1}, scale="micro"),
    ]
    assert InputSpace(inputs).groups == {"micro": ["a", "d"], "unscaled": ["b"], "macro": ["c"]}


def test_far_truncated_normal_is_refused():
    # chaospy's truncated normal saturates near 8.22 standard deviations, so a tail
    # truncation that far out is refused rather than sampled wrongly.
    item = UncertainInput("x", "normal", {"mean": 0.0, "std": 1.0, "lower": 9.0})
    with pytest.raises(StudyError, match=r"^inputs\.x\.lower: keeps only the normal's tail"):
        Study("t", [item], [ModelStep("m", "models:f", ["x"], ["y"])])


def test_truncation_at_the_limit_stays_in_its_support():
    item = UncertainInput("x", "normal", {"mean": 0.0, "std": 1.0, "lower": 6.0})
    u = np.array([[1e-6], [0.1], [0.5], [0.9], [0.999]])
    x = InputSpace([item]).to_physical(u)[:, 0]
    np.testing.assert_allclose(x, _truncnorm(0.0, 1.0, lower=6.0).ppf(u[:, 0]), rtol=1e-5)
