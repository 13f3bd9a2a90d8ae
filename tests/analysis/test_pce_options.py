"""The study-file options of ``method: pce`` and their defaults."""

import pytest

from tests.conftest import uniform_study
from uqscale.analysis.pce import regression_size, settings
from uqscale.errors import StudyError
from uqscale.space import InputSpace
from uqscale.study.methods import read_options


def read(**options):
    return read_options("pce", options, "analysis[0]")


def test_defaults_keep_least_squares_at_a_given_order():
    fit = settings(read(order=4))
    assert (fit.solver, fit.orders, fit.q_norm, fit.cv) == ("ols", (4,), 1.0, "loo")


def test_auto_order_tries_least_squares_and_sparse_with_degrees_up_to_twenty():
    fit = settings(read(order="auto"))
    assert fit.solver == "omp" and fit.orders == tuple(range(1, 21))
    assert fit.candidates == tuple((s, q) for s in ("ols", "omp") for q in (0.5, 0.75, 1.0))
    given = settings(read(order="auto", max_order=6, solver="lars", q_norm=0.6))
    assert given.orders[-1] == 6 and given.candidates == (("ols", 0.6), ("lars", 0.6))
    assert settings(read(order=3, solver="omp")).candidates == (("omp", 1.0),)


def test_default_sizes():
    space = InputSpace(uniform_study("s", "m:f", 3, [{"method": "moments"}]).inputs)
    assert regression_size(space, read(order=3)) == 2 * 20
    assert regression_size(space, read(order=3, q_norm=0.75)) == 2 * 13
    assert regression_size(space, read(order="auto")) == 64  # 16 per input, power of 2


@pytest.mark.parametrize(
    "options, message",
    [
        ({"order": "often"}, "analysis[0].order: must be an integer or 'auto' (got 'often')"),
        ({"order": 3, "max_order": 6}, "analysis[0].max_order: applies only with order: auto"),
        ({"order": "auto", "q_norm": 1.5}, "analysis[0].q_norm: must lie in (0, 1] (got 1.5)"),
        (
            {"order": "auto", "solver": "lasso"},
            "analysis[0].solver: unknown value 'lasso' (did you mean 'lars'?)",
        ),
        ({"order": 2, "bootstrap": -1}, "analysis[0].bootstrap: must be at least 0 (got -1)"),
        (
            {"order": "auto", "design": "quadrature"},
            "analysis[0].order: 'auto' needs design: regression",
        ),
        (
            {"order": 2, "design": "quadrature", "solver": "omp"},
            "analysis[0].solver: 'omp' needs design: regression",
        ),
    ],
)
def test_errors_name_the_field(options, message):
    with pytest.raises(StudyError) as error:
        read(**options)
    assert str(error.value) == message
