"""Property: random valid studies survive their YAML file form unchanged."""

from __future__ import annotations

import pytest

from uqscale import Analysis, ModelStep, Study, UncertainInput
from uqscale.study.fields import PLAIN_NAME
from uqscale.study.files import study_from_text, study_to_yaml
from uqscale.study.validate import RESERVED_NAMES

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")


# Names that YAML 1.1 would read as booleans or null unless quoted.
YAML_WORDS = ["yes", "no", "on", "off", "true", "null", "y", "n", "NO", "Off", "None"]
names = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), st.sampled_from(YAML_WORDS)
).filter(lambda n: n not in RESERVED_NAMES)
# Within what validation accepts: magnitudes 1e-100 .. 1e100 (or 0), spreads that fit.
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e90, max_value=1e90).filter(
    lambda v: v == 0 or abs(v) >= 1e-90
)
positive = st.floats(min_value=1e-90, allow_infinity=False, max_value=1e90)
tags = st.none() | names
# Text without control characters (but tab and newline) or lone surrogates.
printable = st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\t\n")
texts = st.none() | st.text(printable, min_size=1, max_size=12)
study_names = st.from_regex(PLAIN_NAME, fullmatch=True)


@st.composite
def uniform_inputs(draw, name):
    low, high = sorted(draw(st.lists(finite, min_size=2, max_size=2, unique=True)))
    return UncertainInput(
        name, "uniform", {"low": low, "high": high}, scale=draw(tags), units=draw(texts)
    )


@st.composite
def normal_inputs(draw, name):
    params = {"mean": draw(finite), "std": draw(positive)}
    # Truncations within 5 standard deviations of the mean (farther ones are refused).
    offsets = sorted(draw(st.lists(st.integers(-50, 50), min_size=2, max_size=2, unique=True)))
    bounds = [params["mean"] + k / 10 * params["std"] for k in offsets]
    hypothesis.assume(bounds[0] < bounds[1])  # a std tiny next to the mean can round them equal
    which = draw(st.sampled_from(["none", "lower", "upper", "both"]))
    if which in ("lower", "both"):
        params["lower"] = bounds[0]
    if which in ("upper", "both"):
        params["upper"] = bounds[1]
    return UncertainInput(name, "normal", params, scale=draw(tags), units=draw(texts))


@st.composite
def studies(draw):
    input_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    inputs = [draw(st.one_of(uniform_inputs(n), normal_inputs(n))) for n in input_names]
    output = draw(names.filter(lambda n: n not in input_names))
    step = ModelStep(
        draw(names),
        "models:f",
        inputs=input_names,
        outputs=[output],
        vectorized=draw(st.booleans()),
    )
    return Study(
        name=draw(study_names),
        description=draw(st.text(printable, max_size=40)),
        seed=draw(st.integers(0, 2**63)),
        inputs=inputs,
        models=[step],
        analysis=[Analysis("moments", {"n": draw(st.integers(2, 10**6))})],
    )


@hypothesis.settings(max_examples=150, deadline=None, database=None)
@hypothesis.given(studies())
def test_random_valid_studies_round_trip(study):
    again = study_from_text(study_to_yaml(study), None)
    assert again == study
    assert again.to_dict() == study.to_dict()
