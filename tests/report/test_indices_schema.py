"""indices.json against its JSON Schema (docs/indices.schema.json): every shipped
study's indices (kept by benchmarks/indices_unchanged.py) and those of fresh runs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "indices.schema.json").read_text())
SHIPPED = ROOT / "benchmarks" / "indices_after"
"""``indices.json`` of every study in studies/, as ``uqscale run`` wrote it after the
registry redesign (``python benchmarks/indices_unchanged.py --check
benchmarks/indices_before --keep benchmarks/indices_after``)."""


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_the_schema_is_a_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


KEPT = sorted(p.stem for p in SHIPPED.glob("*.json"))


@pytest.mark.parametrize("study", KEPT)
def test_every_shipped_study_s_indices_follow_the_schema(study):
    assert (ROOT / "studies" / f"{study}.yaml").is_file()
    document = json.loads((SHIPPED / f"{study}.json").read_text())
    validate(document)
    assert document["format"] == 1 and document["study"] == study


def test_kept_indices_are_those_of_shipped_studies():
    assert KEPT, f"run benchmarks/indices_unchanged.py to fill {SHIPPED}"


@pytest.mark.parametrize("run", ["demo_run", "failing_run", "wide_run", "field_run"])
def test_fresh_runs_follow_the_schema(run, request):
    document = json.loads((request.getfixturevalue(run) / "indices.json").read_text())
    validate(document)
    assert document["format"] == 1


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda d: d.pop("samples"), "samples"),
        (lambda d: d["outputs"]["y"]["sobol"].update(S1={"x1": "large"}), "large"),
        (lambda d: d["outputs"]["y"]["sobol"].update(n_used=-1), "-1"),
        (lambda d: d.update(format=2), "format"),
    ],
)
def test_the_schema_refuses_what_readers_could_not_read(failing_run, change, where):
    document = json.loads((failing_run / "indices.json").read_text())
    document["outputs"]["y"]["sobol"] = {"S1": {"x1": 0.5}, "n_used": 3}
    validate(document)
    change(document)
    with pytest.raises(jsonschema.ValidationError, match=where):
        validate(document)
