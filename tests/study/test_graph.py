"""Ordering the model graph: a stable topological sort of the steps."""

from __future__ import annotations

import pytest

from uqscale.errors import StudyError
from uqscale.study.graph import step_order
from uqscale.study.model import ModelStep


def step(name: str, inputs: list[str], outputs: list[str]) -> ModelStep:
    return ModelStep(name, "models:f", inputs=inputs, outputs=outputs)


def assert_valid_order(models, order, study_inputs):
    """Every step comes after the steps producing its inputs, each step once."""
    assert sorted(order) == list(range(len(models)))
    available = set(study_inputs)
    for index in order:
        assert set(models[index].inputs) <= available, models[index].name
        available |= set(models[index].output_names)


def test_chain_declared_backwards():
    models = [step("c", ["q"], ["y"]), step("b", ["p"], ["q"]), step("a", ["x"], ["p"])]
    order = step_order(models, ["x"])
    assert order == (2, 1, 0)
    assert_valid_order(models, order, ["x"])


def test_chain_declared_forwards_is_kept():
    models = [step("a", ["x"], ["p"]), step("b", ["p"], ["q"]), step("c", ["q"], ["y"])]
    assert step_order(models, ["x"]) == (0, 1, 2)


def test_diamond():
    # a -> (b, c) -> d, declared bottom up; b and c keep their declared order
    models = [
        step("d", ["q", "r"], ["y"]),
        step("b", ["p"], ["q"]),
        step("c", ["p", "x2"], ["r"]),
        step("a", ["x1"], ["p"]),
    ]
    order = step_order(models, ["x1", "x2"])
    assert order == (3, 1, 2, 0)
    assert_valid_order(models, order, ["x1", "x2"])


def test_diamond_siblings_in_the_other_declared_order():
    models = [
        step("d", ["q", "r"], ["y"]),
        step("c", ["p"], ["r"]),
        step("b", ["p"], ["q"]),
        step("a", ["x1"], ["p"]),
    ]
    assert step_order(models, ["x1"]) == (3, 1, 2, 0)


def test_independent_steps_keep_declared_order():
    models = [step("s1", ["x2"], ["p"]), step("s2", ["x1"], ["q"]), step("s3", ["x1", "x2"], ["r"])]
    assert step_order(models, ["x1", "x2"]) == (0, 1, 2)


def test_independent_step_stays_where_the_data_flow_allows():
    # b waits for a; c, independent, still runs after b as declared
    models = [step("b", ["p"], ["q"]), step("a", ["x"], ["p"]), step("c", ["x"], ["r"])]
    assert step_order(models, ["x"]) == (1, 0, 2)


def test_step_with_several_outputs_feeding_several_steps():
    models = [
        step("macro", ["m1", "x2"], ["y"]),
        step("meso", ["m2"], ["z"]),
        step("micro", ["x1"], ["m1", "m2"]),
    ]
    order = step_order(models, ["x1", "x2"])
    assert order == (2, 0, 1)
    assert_valid_order(models, order, ["x1", "x2"])


def test_single_step():
    assert step_order([step("only", ["x"], ["y"])], ["x"]) == (0,)


def test_step_without_inputs():
    models = [step("uses", ["c"], ["y"]), step("constant", [], ["c"])]
    assert step_order(models, ["x"]) == (1, 0)


def error_of(models, study_inputs) -> str:
    with pytest.raises(StudyError) as caught:
        step_order(models, study_inputs)
    return str(caught.value)


def test_cycle_of_two_steps():
    models = [step("a", ["x", "q"], ["p"]), step("b", ["p"], ["q"])]
    assert error_of(models, ["x"]) == (
        "models[0].inputs: the steps a -> b depend on each other in a cycle"
    )


def test_cycle_after_a_good_step():
    models = [step("ok", ["x"], ["z"]), step("a", ["z", "q"], ["p"]), step("b", ["p"], ["q"])]
    assert error_of(models, ["x"]) == (
        "models[1].inputs: the steps a -> b depend on each other in a cycle"
    )


def test_step_consuming_its_own_output():
    models = [step("loop", ["x", "p"], ["p"])]
    assert error_of(models, ["x"]) == (
        "models[0].inputs: the steps loop depend on each other in a cycle"
    )


def test_unknown_input():
    models = [step("a", ["x", "nope"], ["p"])]
    assert error_of(models, ["x"]) == (
        "models[0].inputs[1]: unknown input 'nope' (not a study input nor an output of any step)"
    )


def test_output_declared_twice():
    models = [step("a", ["x"], ["p"]), step("b", ["x"], ["q", "p"])]
    assert error_of(models, ["x"]) == (
        "models[1].outputs[1]: output 'p' is also declared by models[0] ('a')"
    )


def test_output_that_is_a_study_input():
    assert error_of([step("a", ["x"], ["x"])], ["x"]) == (
        "models[0].outputs[0]: 'x' is already a study input; rename the output"
    )


def test_cycle_error_names_only_the_steps_of_the_cycle():
    models = [step("c", ["p"], ["r"]), step("a", ["x", "q"], ["p"]), step("b", ["p"], ["q"])]
    assert error_of(models, ["x"]) == (
        "models[1].inputs: the steps a -> b depend on each other in a cycle"
    )
