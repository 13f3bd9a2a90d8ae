"""Dependent inputs: the Gaussian copula keeps every marginal, gives the requested rank
correlations under every sampling rule, and refuses matrices that are not correlations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from uqscale.copula import GaussianCopula, check_matrix, from_kendall, from_spearman
from uqscale.errors import StudyError
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace
from uqscale.study.model import UncertainInput

INPUTS = [
    UncertainInput("clearance", "lognormal", {"mu": 1.6, "sigma": 0.3}),
    UncertainInput("volume", "normal", {"mean": 10.0, "std": 2.0}),
    UncertainInput("ka", "uniform", {"low": 0.5, "high": 2.0}),
]
SPEARMAN = 0.6


def dependent_space() -> InputSpace:
    rho = from_spearman(SPEARMAN)
    copula = GaussianCopula(
        ("clearance", "volume", "ka"), ("clearance", "volume"), ((1.0, rho), (rho, 1.0))
    )
    return InputSpace(INPUTS, copula)


@pytest.mark.parametrize("rule", ["random", "lhs", "sobol", "halton"])
def test_every_rule_gives_the_requested_rank_correlation_and_keeps_the_marginals(rule):
    n = 4096
    x = dependent_space().to_physical(unit_sample(rule, n, 3, np.random.default_rng(11)))
    rank = stats.spearmanr(x).statistic
    # Standard error of Spearman's rho is about (1 - rho^2) / sqrt(n).
    assert abs(rank[0, 1] - SPEARMAN) < 4 * (1 - SPEARMAN**2) / np.sqrt(n)
    assert abs(rank[0, 2]) < 4 / np.sqrt(n) and abs(rank[1, 2]) < 4 / np.sqrt(n)
    marginals = [stats.lognorm(0.3, scale=np.exp(1.6)), stats.norm(10, 2), stats.uniform(0.5, 1.5)]
    for column, marginal in enumerate(marginals):
        assert stats.kstest(x[:, column], marginal.cdf).pvalue > 1e-3


def test_independent_inputs_map_exactly_as_without_a_copula():
    unit = unit_sample("sobol", 64, 3, np.random.default_rng(3))
    identity = GaussianCopula(
        ("clearance", "volume", "ka"), ("clearance", "volume"), ((1.0, 0.0), (0.0, 1.0))
    )
    np.testing.assert_allclose(
        InputSpace(INPUTS, identity).to_physical(unit),
        InputSpace(INPUTS).to_physical(unit),
        rtol=1e-12,
    )


def test_rank_correlation_conversions_invert_the_copula_formulas():
    for rho in (-0.9, -0.3, 0.0, 0.5, 0.95):
        assert abs(6 / np.pi * np.arcsin(from_spearman(rho) / 2) - rho) < 1e-12
        assert abs(2 / np.pi * np.arcsin(from_kendall(rho)) - rho) < 1e-12


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            [[1.0, 0.6], [0.5, 1.0]],
            "correlation.matrix[0][1]: must equal correlation.matrix[1][0] (the matrix is "
            "symmetric; got 0.6 and 0.5)",
        ),
        ([[1.0, 0.2], [0.2, 0.9]], "correlation.matrix[1][1]: must be 1 (got 0.9)"),
        (
            [[1.0, 1.2], [1.2, 1.0]],
            "correlation.matrix[1][0]: must lie strictly between -1 and 1 (got 1.2)",
        ),
        (
            [[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]],
            "correlation.matrix[2][2]: makes the matrix not positive definite",
        ),
        ([[1.0, 0.1], [0.1]], "correlation.matrix[1]: must have 2 entries, one per input (got 1)"),
    ],
)
def test_a_bad_matrix_is_one_line_naming_the_entry(matrix, message):
    with pytest.raises(StudyError) as error:
        check_matrix(matrix, "correlation.matrix")
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
