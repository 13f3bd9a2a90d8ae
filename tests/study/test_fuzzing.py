"""Fuzzing the loader: mutated shipped studies and Hypothesis-made YAML never end in a
traceback or a hang, and every error is one line naming the file or the field."""

from __future__ import annotations

import pytest
import yaml

from tests.study.fuzz_cases import STUDIES, campaign, cases

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

MUTATIONS = 1500


@pytest.mark.slow
def test_mutated_shipped_studies_load_or_fail_in_one_line(tmp_path):
    assert len(STUDIES) >= 5
    counts, bad = campaign(tmp_path, cases(MUTATIONS, seed=16))
    assert sum(counts.values()) == MUTATIONS
    assert not bad, bad[:5]
    assert counts["clean"] > MUTATIONS / 2  # the mutations do break most files


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["sample", "../x", "1e5", "*a", "&a"])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    ),
    max_leaves=30,
)
keys = st.sampled_from(
    [
        "study",
        "inputs",
        "models",
        "analysis",
        "execution",
        "output",
        "verification",
        "resolution",
        "seed",
        "description",
    ]
)


@pytest.mark.slow
@hypothesis.settings(
    max_examples=600,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@hypothesis.given(
    st.dictionaries(keys, documents, max_size=6) | documents | st.binary(max_size=200)
)
def test_arbitrary_documents_load_or_fail_in_one_line(tmp_path_factory, document):
    content = document if isinstance(document, bytes) else yaml.safe_dump(document).encode()
    _, bad = campaign(tmp_path_factory.mktemp("fuzz"), [content])
    assert not bad, bad
