"""Designs in the unit cube, their random streams, and the design of a whole study."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from uqscale import Analysis, load_study
from uqscale.design import analysis_rng, block_key, blocks_of, build_design
from uqscale.sampling import block_rng, seed_int, unit_sample
from uqscale.space import InputSpace
from uqscale.study.methods import RULES

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test extra
    given = None

ISHIGAMI = Path(__file__).resolve().parents[1] / "studies" / "ishigami.yaml"


# --- unit_sample ----------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(("n", "d"), [(1, 1), (2, 3), (7, 2), (64, 5), (100, 1)])
def test_shape_and_open_cube(rule, n, d):
    points = unit_sample(rule, n, d, block_rng(3, "shape"))
    assert points.shape == (n, d)
    assert np.all(points > 0.0) and np.all(points < 1.0)


@pytest.mark.parametrize("rule", RULES)
def test_same_seed_and_key_give_the_same_points(rule):
    a = unit_sample(rule, 100, 4, block_rng(11, "block"))
    b = unit_sample(rule, 100, 4, block_rng(11, "block"))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    ("seed", "key"), [(11, "other block"), (12, "block")], ids=["other key", "other seed"]
)
def test_other_key_or_seed_gives_other_points(rule, seed, key):
    a = unit_sample(rule, 100, 4, block_rng(11, "block"))
    b = unit_sample(rule, 100, 4, block_rng(seed, key))
    assert not np.any(np.all(a == b, axis=0))  # no column is repeated either


def test_block_rng_streams_are_independent_of_order():
    first = block_rng(5, "a").random(3)
    block_rng(5, "b").random(10)  # drawing another stream changes nothing
    np.testing.assert_array_equal(block_rng(5, "a").random(3), first)


def test_seed_int_is_a_valid_deterministic_seed():
    values = [seed_int(block_rng(1, "salib")) for _ in range(3)]
    assert len(set(values)) == 1 and 0 <= values[0] < 2**31 - 1


def test_random_rule_looks_uniform():
    n = 100_000
    points = unit_sample("random", n, 2, block_rng(7, "uniform"))
    # mean 1/2 and variance 1/12 of U(0, 1), to 5 standard errors
    assert np.all(np.abs(points.mean(axis=0) - 0.5) <= 5 * math.sqrt(1 / 12 / n))
    assert np.all(np.abs(points.var(axis=0) - 1 / 12) <= 5 * math.sqrt(1 / 180 / n))


@pytest.mark.parametrize("n", [1, 10, 97, 256])
def test_latin_hypercube_one_point_per_stratum(n):
    points = unit_sample("lhs", n, 4, block_rng(2, "lhs"))
    strata = np.floor(points * n).astype(int)
    for column in strata.T:
        np.testing.assert_array_equal(np.sort(column), np.arange(n))


@pytest.mark.parametrize("m", [1, 4, 8])
def test_sobol_power_of_two_is_balanced(m):
    n = 2**m
    points = unit_sample("sobol", n, 6, block_rng(2, "sobol"))
    # each half of each axis holds n/2 points ...
    assert np.all((points < 0.5).sum(axis=0) == n // 2)
    # ... and, a (0, m, 1)-net in each coordinate, each interval of width 1/n holds one
    strata = np.floor(points * n).astype(int)
    for column in strata.T:
        np.testing.assert_array_equal(np.sort(column), np.arange(n))


@pytest.mark.parametrize("n", [64, 50])
def test_sobol_design_is_a_prefix_of_the_larger_one(n):
    # scipy's scrambled Sobol' with the same stream: the 2^m design starts the 2^(m+1)
    # one, so a design can grow without redrawing (checked with scipy 1.17)
    small = unit_sample("sobol", n, 3, block_rng(4, "grow"))
    large = unit_sample("sobol", 128, 3, block_rng(4, "grow"))
    np.testing.assert_array_equal(small, large[:n])


def test_halton_points_are_distinct():
    points = unit_sample("halton", 500, 3, block_rng(9, "halton"))
    assert len(np.unique(points, axis=0)) == 500


if given is not None:

    @settings(max_examples=60, deadline=None, database=None)
    @given(
        rule=st.sampled_from(RULES),
        n=st.integers(1, 300),
        d=st.integers(1, 6),
        seed=st.integers(0, 2**32),
        key=st.text(max_size=20),
    )
    def test_any_design_is_inside_the_open_cube(rule, n, d, seed, key):
        points = unit_sample(rule, n, d, block_rng(seed, key))
        assert points.shape == (n, d)
        assert np.all(points > 0.0) and np.all(points < 1.0)
        np.testing.assert_array_equal(points, unit_sample(rule, n, d, block_rng(seed, key)))
else:  # pragma: no cover

    @pytest.mark.skip(reason="hypothesis is not installed")
    def test_any_design_is_inside_the_open_cube():
        pass


# --- build_design ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ishigami():
    return load_study(ISHIGAMI)


@pytest.fixture(scope="module")
def ishigami_design(ishigami):
    return build_design(ishigami)


def rows(design, label):
    start, stop = blocks_of(design)[label]
    return np.column_stack([design[name].values[start:stop] for name in design.data_vars])


def with_analyses(study, *analyses):
    return study.replace(analysis=analyses)


def test_ishigami_blocks(ishigami, ishigami_design):
    n_pce, n_sobol, d = 500, 16384, 3
    assert [a.method for a in ishigami.analysis] == ["pce", "sobol", "moments"]
    blocks = blocks_of(ishigami_design)
    assert blocks["pce"] == (0, n_pce)
    assert blocks["sobol"] == (n_pce, n_pce + n_sobol * (2 * d + 2))
    assert blocks["moments"] == blocks["sobol"]  # moments reuses the largest design
    assert ishigami_design.sizes["sample"] == n_pce + n_sobol * (2 * d + 2)
    assert list(ishigami_design.data_vars) == ["x1", "x2", "x3"]
    np.testing.assert_array_equal(
        ishigami_design["sample"].values, np.arange(ishigami_design.sizes["sample"])
    )
    values = rows(ishigami_design, "sobol")
    assert np.all(np.abs(values) < math.pi)


def test_ishigami_design_is_reproducible(ishigami, ishigami_design):
    again = build_design(ishigami.replace(analysis=ishigami.analysis[:1]))
    np.testing.assert_array_equal(rows(again, "pce"), rows(ishigami_design, "pce"))


def test_analysis_order_does_not_change_owned_blocks(ishigami, ishigami_design):
    reordered = build_design(with_analyses(ishigami, *reversed(ishigami.analysis)))
    for label in ("pce", "sobol"):
        np.testing.assert_array_equal(rows(reordered, label), rows(ishigami_design, label))
    assert blocks_of(reordered)["sobol"][0] == 0


def test_adding_an_analysis_or_relabelling_changes_no_block(ishigami):
    pce = Analysis("pce", {"order": 3, "n": 40})
    alone = build_design(with_analyses(ishigami, pce))
    relabelled = Analysis("pce", {"order": 3, "n": 40}, label="other")
    crowded = build_design(
        with_analyses(ishigami, Analysis("morris", {}), relabelled, Analysis("sobol", {"n": 8}))
    )
    np.testing.assert_array_equal(rows(crowded, "other"), rows(alone, "pce"))


def test_block_key_is_content_not_label():
    a = Analysis("sobol", {"n": 8}, label="first")
    b = Analysis("sobol", {"n": 8}, label="second")
    assert block_key(a) == block_key(b)
    assert block_key(a) != block_key(Analysis("sobol", {"n": 16}))


def test_pce_regression_default_size(ishigami):
    design = build_design(with_analyses(ishigami, Analysis("pce", {"order": 3})))
    assert blocks_of(design)["pce"] == (0, 2 * math.comb(3 + 3, 3))


def test_pce_quadrature_gaussian_nodes(ishigami):
    order = 3
    design = build_design(
        with_analyses(ishigami, Analysis("pce", {"order": order, "design": "quadrature"}))
    )
    nodes = rows(design, "pce")
    assert nodes.shape == ((order + 1) ** 3, 3)
    assert len(np.unique(nodes, axis=0)) == (order + 1) ** 3  # the full tensor grid
    legendre, _ = np.polynomial.legendre.leggauss(order + 1)
    for column in nodes.T:
        np.testing.assert_allclose(np.unique(column), math.pi * legendre, rtol=1e-10)


def test_morris_trajectories(ishigami):
    trajectories, levels, d = 6, 4, 3
    analysis = Analysis("morris", {"trajectories": trajectories, "levels": levels})
    design = build_design(with_analyses(ishigami, analysis))
    values = rows(design, "morris")
    assert values.shape == (trajectories * (d + 1), d)
    # grid values are the midpoints of `levels` equal-probability bins of U(-pi, pi)
    midpoints = -math.pi + 2 * math.pi * (np.arange(levels) + 0.5) / levels
    assert set(np.round(values.ravel(), 12)) <= set(np.round(midpoints, 12))
    # along a trajectory, each step moves exactly one input
    for path in values.reshape(trajectories, d + 1, d):
        moved = np.diff(path, axis=0) != 0
        np.testing.assert_array_equal(moved.sum(axis=1), np.ones(d))
        np.testing.assert_array_equal(moved.sum(axis=0), np.ones(d))


def test_moments_without_an_iid_block_draws_its_own(ishigami):
    design = build_design(
        with_analyses(ishigami, Analysis("morris", {"trajectories": 5}), Analysis("moments"))
    )
    assert blocks_of(design) == {"morris": (0, 20), "moments": (20, 1020)}


def test_moments_with_n_draws_its_own(ishigami):
    design = build_design(
        with_analyses(
            ishigami, Analysis("pce", {"order": 2, "n": 30}), Analysis("moments", {"n": 50})
        )
    )
    assert blocks_of(design) == {"pce": (0, 30), "moments": (30, 80)}


def tagged(study, tags):
    inputs = [
        dataclasses.replace(item, scale=tag) for item, tag in zip(study.inputs, tags, strict=True)
    ]
    return study.replace(inputs=tuple(inputs))


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_group_of_several_inputs_adds_n_rows(ishigami, second_order):
    n, d = 64, 3
    study = tagged(
        with_analyses(ishigami, Analysis("sobol", {"n": n, "second_order": second_order})),
        ["micro", "micro", "macro"],
    )
    assert InputSpace(study.inputs).groups == {"micro": ["x1", "x2"], "macro": ["x3"]}
    values = rows(build_design(study), "sobol")
    saltelli = n * (2 * d + 2 if second_order else d + 2)
    assert len(values) == saltelli + n
    # the extra rows are A with the group's columns taken from B
    matrices = values[:saltelli].reshape(n, -1, d)
    a, b = matrices[:, 0], matrices[:, -1]
    extra = values[saltelli:]
    np.testing.assert_array_equal(extra[:, :2], b[:, :2])
    np.testing.assert_array_equal(extra[:, 2], a[:, 2])


@pytest.mark.parametrize(
    ("tags", "extra_blocks"),
    [
        ([None, None, None], 0),  # one group: it explains everything
        (["micro", "micro", "micro"], 0),
        (["micro", "macro", "meso"], 0),  # every group a single input: AB_i serve
        (["micro", "micro", None], 1),  # untagged inputs form their own group
        (["micro", None, "micro"], 1),
    ],
)
def test_sobol_extra_rows_per_shared_group(ishigami, tags, extra_blocks):
    n, d = 32, 3
    study = tagged(with_analyses(ishigami, Analysis("sobol", {"n": n})), tags)
    assert blocks_of(build_design(study))["sobol"] == (0, n * (d + 2) + extra_blocks * n)


def test_sobol_two_shared_groups(ishigami):
    n = 16
    inputs = [dataclasses.replace(ishigami.inputs[0], name=f"x{j}") for j in range(1, 6)]
    study = tagged(
        ishigami.replace(inputs=tuple(inputs), analysis=(Analysis("sobol", {"n": n}),)),
        ["micro", "micro", "macro", "macro", None],
    )
    assert blocks_of(build_design(study))["sobol"] == (0, n * (5 + 2) + 2 * n)


def test_analysis_rng_depends_on_seed(ishigami):
    analysis = ishigami.analysis[0]
    a = analysis_rng(ishigami, analysis).random()
    b = analysis_rng(ishigami.replace(seed=ishigami.seed + 1), analysis).random()
    assert a != b


def test_analysis_order_does_not_change_moments_samples(ishigami, ishigami_design):
    reordered = build_design(with_analyses(ishigami, *reversed(ishigami.analysis)))
    np.testing.assert_array_equal(rows(reordered, "moments"), rows(ishigami_design, "moments"))
