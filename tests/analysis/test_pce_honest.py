"""Polynomial chaos you can trust: an honest error, intervals that cover, bases built
in their truncation, a reliability flag and one-line errors for hopeless samples."""

import tracemalloc

import numpy as np
import pytest
import xarray as xr

from tests.conftest import uniform_study
from uqscale.analysis import pce
from uqscale.analysis.common import AnalysisError
from uqscale.analysis.pce_benchmarks import benchmarks, gfunction_exact, sobol_levitan_exact
from uqscale.analysis.polynomials import Basis, multi_indices, orthonormal
from uqscale.analysis.procedure import MAX_TERMS
from uqscale.space import InputSpace

G6 = benchmarks()["g6"]


def analyse(space, options, x, y, seed=0):
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    return pce.analyze(
        space, options, design, xr.Dataset({"y": ("sample", y)}), np.random.default_rng(seed)
    )["y"]


def unit_space(d, **options):
    study = uniform_study("s", "m:f", d, [{"method": "pce", **options}])
    return InputSpace(study.inputs), study.analysis[0].options


def true_error(space, options, x, y, function, seed=0):
    """The relative error of the fitted expansion at 20,000 fresh points."""
    fixed = pce.settings(options)
    regression = pce.Regression(fixed, Basis.polynomials(space.marginals, max(fixed.orders)), {})
    targets, expansion = regression.fit(x, y[:, None], np.random.default_rng(seed))
    fresh = np.random.default_rng(123).random((20_000, x.shape[1]))
    predicted = expansion.basis.matrix(fresh) @ targets.coefficients(expansion.coefficients)
    truth = function(fresh)
    return float(np.mean((predicted[:, 0] - truth) ** 2) / truth.var())


def test_reported_error_of_ishigami_is_within_a_factor_three_of_the_true_error():
    problem = benchmarks()["ishigami"]
    space, options = unit_space(3, order="auto", n=64, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(4))
    to_pi = lambda u: np.pi * (2 * u - 1)  # noqa: E731
    y = problem.function(to_pi(x))
    found = analyse(space, options, x, y)
    true = true_error(space, options, x, y, lambda u: problem.function(to_pi(u)))
    assert 1 / 3 <= true / found["cv_error"].item() <= 3
    assert np.abs(found["ST"].values - problem.st).max() < 0.01


@pytest.mark.slow
def test_a_sparse_fit_that_aliases_on_the_design_is_not_chosen():
    # The 10-input G-function (a_i = i / 2) at 200 Sobol' runs: held-out runs of the same
    # design missed a 15-term fit of degree 4 whose true error is 1.45 (reported 0.30,
    # S1 and ST off by 0.49); the moment gap of every fold's prefixes cuts such paths.
    problem = benchmarks()["g10"]
    space, options = unit_space(10, order="auto", n=200, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(0))
    y = problem.function(x)
    found = analyse(space, options, x, y)
    true = true_error(space, options, x, y, problem.function)
    assert true < 0.5
    assert 1 / 3 <= true / found["cv_error"].item() <= 3
    error = max(
        np.abs(found["S1"].values - problem.s1).max(), np.abs(found["ST"].values - problem.st).max()
    )
    assert error < 0.2


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_reported_error_is_within_a_factor_three_of_the_true_error(seed):
    # The issue's case: a 6-input G-function at 120 runs, where the former corrected
    # leave-one-out error reported 0.0054 against a true relative error of 1.3.
    space, options = unit_space(6, order="auto", n=120, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(seed))
    y = G6.function(x)
    found = analyse(space, options, x, y, seed)
    true = true_error(space, options, x, y, G6.function, seed)
    assert 1 / 3 <= true / found["cv_error"].item() <= 3
    st = gfunction_exact(np.array([0, 0.5, 3, 9, 99, 99]))[1]
    assert np.abs(found["ST"].values - st).max() < 0.15
    assert found.attrs["terms"] < 60  # no near-interpolating support


@pytest.mark.slow
def test_intervals_of_a_sparse_fit_cover_the_exact_indices():
    a = np.array([1.0, 0.6, 0.3])
    space, options = unit_space(
        3, order="auto", n=40, rule="random", bootstrap=60, convergence=False
    )
    s1, st = sobol_levitan_exact(a)
    covered, widths = [], []
    for seed in range(12):
        x = pce.sample(space, options, np.random.default_rng(100 + seed))
        found = analyse(space, options, x, np.exp(x @ a), seed)
        covered += [
            np.abs(found["S1"].values - s1) <= found["S1_conf"].values,
            np.abs(found["ST"].values - st) <= found["ST_conf"].values,
        ]
        widths.append(found["S1_conf"].values.max())
    assert np.mean(covered) >= 0.85
    assert np.median(widths) < 0.1


def test_candidate_bases_are_generated_within_their_truncation():
    small = [(3, 5, 1.0), (4, 6, 0.75), (6, 7, 0.6), (5, 4, 0.5)]
    import chaospy

    for d, order, q in small:
        ours = multi_indices(d, order, q)
        theirs = np.asarray(
            chaospy.glexindex(0, order + 1, dimensions=d, cross_truncation=q, graded=True)
        )
        assert {tuple(r) for r in ours.tolist()} == {tuple(r) for r in theirs.tolist()}
        assert len(ours) == len(theirs) and not ours[0].any()
        assert (np.diff(ours.sum(axis=1)) >= 0).all()  # graded
    # 20 inputs, degree 10: 30 million total-degree terms, never built; the hyperbolic
    # list (q = 0.5) holds singles, pairs and triples only, counted by enumeration.
    tracemalloc.start()
    assert multi_indices(20, 10, 1.0, limit=MAX_TERMS) is None
    kept = multi_indices(20, 10, 0.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * kept.nbytes
    q = 0.5
    pairs = sum(1 for a in range(1, 11) for b in range(1, 11) if (a**q + b**q) ** (1 / q) <= 10)
    triples = sum(
        1
        for a in range(1, 11)
        for b in range(1, 11)
        for c in range(1, 11)
        if (a**q + b**q + c**q) ** (1 / q) <= 10 + 1e-9
    )
    assert len(kept) == 1 + 20 * 10 + 190 * pairs + 1140 * triples


@pytest.mark.parametrize("marginal", ["Uniform(-2, 3)", "Normal(1, 2)", "Beta(2, 3)"])
def test_recurrence_polynomials_match_chaospy(marginal):
    import chaospy

    distribution = eval(f"chaospy.{marginal}")
    x = distribution.sample(50, seed=3)
    ours = orthonormal(distribution, 6)(x)
    theirs = np.atleast_2d(chaospy.generate_expansion(6, distribution, normed=True)(x))
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), rtol=1e-8, atol=1e-8)


@pytest.mark.slow
def test_auto_order_at_twenty_inputs_stays_within_its_candidate_limit():
    space, options = unit_space(20, order="auto", n=200, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(0))
    y = np.exp(x[:, :3] @ np.array([1.0, 0.5, 0.25])) + 0.01 * x[:, 3:].sum(axis=1)
    found = analyse(space, options, x, y)
    assert found.attrs["candidates"] <= MAX_TERMS
    assert found["cv_error"].item() < 0.01 and bool(found["reliable"])
    assert found["ST"].values[:3].argmax() == 0 and found["ST"].values[3:].max() < 0.01


def test_a_hopeless_fit_is_marked_unreliable_and_a_good_one_is_not():
    space, options = unit_space(6, order="auto", n=24, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(0))
    rough = analyse(space, options, x, G6.function(x))
    assert not bool(rough["reliable"]) and rough["cv_error"].item() > 0.1
    assert "honest (cross-validated) error" in rough.attrs["reliability"]
    smooth = analyse(space, options, x, x @ np.arange(1.0, 7.0))
    assert bool(smooth["reliable"]) and smooth.attrs["reliability"] == ""


@pytest.mark.parametrize("order", ["auto", 2])
@pytest.mark.parametrize(
    "finite, message",
    [
        (0, "pce: only 0 of 32 samples of output 'y' are finite"),
        (2, "pce: only 2 of 32 samples of output 'y' are finite"),
        (None, "pce: output 'y' is constant (2) in all 32 finite samples"),
    ],
)
def test_hopeless_samples_give_one_line(order, finite, message):
    space, options = unit_space(3, order=order, n=32)
    x = pce.sample(space, options, np.random.default_rng(0))
    y = np.full(32, 2.0) if finite is None else x.sum(axis=1)
    if finite is not None:
        y[finite:] = np.nan
    with pytest.raises(AnalysisError) as error:
        analyse(space, options, x, y)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.parametrize("order", ["auto", 2])
def test_an_output_that_cannot_be_expanded_hides_no_other(order):
    from uqscale.analysis.common import PartialAnalysisError

    space, options = unit_space(3, order=order, n=32, bootstrap=0, convergence=False)
    x = pce.sample(space, options, np.random.default_rng(0))
    design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
    results = xr.Dataset({"flat": ("sample", np.full(32, 4.0)), "y": ("sample", x @ [3, 2, 1])})
    with pytest.raises(PartialAnalysisError) as error:
        pce.analyze(space, options, design, results, np.random.default_rng(0))
    assert "output 'flat' is constant" in str(error.value)
    assert list(error.value.found) == ["y"]
    alone = analyse(space, options, x, x @ [3, 2, 1])
    xr.testing.assert_identical(error.value.found["y"], alone)
