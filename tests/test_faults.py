"""Fault injection: hanging and crashing Python models, retries, non-finite policy."""

import numpy as np

import uqscale
from tests.conftest import uniform_study
from uqscale.study import ModelStep


def per_sample_study(python, analysis, parameters=None, **execution):
    study = uniform_study("faults", python, 2, analysis)
    step = ModelStep("model", python, ("x1", "x2"), ("y",), parameters=parameters or {})
    return study.replace(models=[step],
                         execution=uqscale.Execution(**{"workers": 2, **execution}))


def test_a_hanging_or_crashing_model_fails_only_its_sample(tmp_path, client):
    study = per_sample_study("tests.models.flaky:hangs",
                             [{"method": "pce", "order": 1, "n": 40}], timeout=1.0)
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=10)
    x1 = result.design["x1"].values
    errors = {f.sample: f.error for f in result.failures}
    assert errors == {**{int(i): "Timeout" for i in np.flatnonzero(x1 > 0.8)},
                      **{int(i): "ModelCrashed" for i in np.flatnonzero(x1 < 0.1)}}
    crashed = next(f for f in result.failures if f.error == "ModelCrashed")
    assert "SIGSEGV" in crashed.message
    ok = (x1 >= 0.1) & (x1 <= 0.8)
    np.testing.assert_array_equal(result.results["y"].values[ok],
                                  x1[ok] + result.design["x2"].values[ok])
    assert result.indices["outputs"]["y"]["pce"]["n_failed"] == len(errors)


def test_retries_recover_transient_failures(tmp_path, client):
    marks = tmp_path / "marks"
    marks.mkdir()
    study = per_sample_study("tests.models.flaky:fails_first_time",
                             [{"method": "moments", "n": 16}], {"marks": str(marks)},
                             retries=1)
    result = uqscale.run(study, tmp_path / "run", client=client)
    assert not result.failures
    np.testing.assert_array_equal(result.results["y"].values, 2 * result.design["x1"].values)

    once = per_sample_study("tests.models.flaky:fails_first_time",
                            [{"method": "moments", "n": 16, "rule": "lhs"}],
                            {"marks": str(tmp_path / "fresh")}, retries=0)
    (tmp_path / "fresh").mkdir()
    failed = uqscale.run(once, tmp_path / "run0", client=client)
    assert len(failed.failures) == 16
    assert {f.error for f in failed.failures} == {"OSError"}
    assert failed.failures[0].message == "transient: license server busy"


def test_nonfinite_policy_keep_keeps_nan_samples(tmp_path, client):
    study = per_sample_study("tests.models.flaky:per_sample",
                             [{"method": "moments", "n": 64}], nonfinite="keep")
    result = uqscale.run(study, tmp_path / "run", client=client)
    x1 = result.design["x1"].values
    assert {f.sample for f in result.failures} == set(np.flatnonzero(x1 > 0.8))
    assert np.isnan(result.results["y"].values[x1 < 0.1]).all()
