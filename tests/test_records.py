"""Failure records carry the failing sample's inputs, from the worker to failures.json."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.conftest import uniform_study
from uqscale.design import build_design
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.records import Failure
from uqscale.store import RunStore


def test_failures_json_shows_each_failed_sample_s_inputs(tmp_path):
    # per_sample raises for x1 > 0.8 and gives NaN for x1 < 0.1 (nonfinite: fail)
    study = uniform_study(
        "flaky", "tests.models.flaky:per_sample", 2, [{"method": "moments", "n": 64}]
    )
    study = study.replace(models=[replace(study.models[0], vectorized=False)])
    design = build_design(study)
    batch = evaluate_batch(
        Pipeline.from_study(study), 0, {n: design[n].values for n in study.input_names}
    )
    x1 = design["x1"].values
    assert sorted(f.sample for f in batch.failures) == sorted(
        int(k) for k in ((x1 > 0.8) | (x1 < 0.1)).nonzero()[0]
    )
    store = RunStore.create(tmp_path / "run", study, "", design, {})
    store.write_batch(batch, {o.name: o.dims for o in study.outputs})
    store.collect(design.sizes["sample"], {o.name: o.coords for o in study.outputs})
    written = json.loads((tmp_path / "run" / "failures.json").read_text())
    assert len(written) == len(batch.failures) > 0
    for record in written:
        row = record["sample"]
        assert record["inputs"] == {"x1": design["x1"].values[row], "x2": design["x2"].values[row]}
        assert (record["error"] == "RuntimeError") == (record["inputs"]["x1"] > 0.8)


def test_failures_stored_before_inputs_were_recorded_still_read():
    old = {
        "sample": 3,
        "step": "m",
        "error": "ValueError",
        "message": "bad",
        "traceback": "",
        "attempts": 1,
    }
    assert Failure(**old).inputs == {}
