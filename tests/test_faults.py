"""Fault injection: hanging, crashing and contract-breaking models, retries, non-finite
policy."""

import dataclasses
import logging

import numpy as np
import pytest

import uqscale
import uqscale.api
from tests.conftest import uniform_study
from uqscale.design import build_design
from uqscale.study import ModelStep


def per_sample_study(python, analysis, parameters=None, **execution):
    study = uniform_study("faults", python, 2, analysis)
    step = ModelStep("model", python, ("x1", "x2"), ("y",), parameters=parameters or {})
    return study.replace(models=[step], execution=uqscale.Execution(**{"workers": 2, **execution}))


def test_a_hanging_or_crashing_model_fails_only_its_sample(tmp_path, client):
    study = per_sample_study(
        "tests.models.flaky:hangs", [{"method": "pce", "order": 1, "n": 40}], timeout=1.0
    )
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=10)
    x1 = result.design["x1"].values
    errors = {f.sample: f.error for f in result.failures}
    assert errors == {
        **{int(i): "Timeout" for i in np.flatnonzero(x1 > 0.8)},
        **{int(i): "ModelCrashed" for i in np.flatnonzero(x1 < 0.1)},
    }
    crashed = next(f for f in result.failures if f.error == "ModelCrashed")
    assert "SIGSEGV" in crashed.message
    ok = (x1 >= 0.1) & (x1 <= 0.8)
    np.testing.assert_array_equal(
        result.results["y"].values[ok], x1[ok] + result.design["x2"].values[ok]
    )
    assert result.indices["outputs"]["y"]["pce"]["n_failed"] == len(errors)


def test_retries_recover_transient_failures(tmp_path, client):
    marks = tmp_path / "marks"
    marks.mkdir()
    study = per_sample_study(
        "tests.models.flaky:fails_first_time",
        [{"method": "moments", "n": 16}],
        {"marks": str(marks)},
        retries=1,
    )
    result = uqscale.run(study, tmp_path / "run", client=client)
    assert not result.failures
    np.testing.assert_array_equal(result.results["y"].values, 2 * result.design["x1"].values)

    once = per_sample_study(
        "tests.models.flaky:fails_first_time",
        [{"method": "moments", "n": 16, "rule": "lhs"}],
        {"marks": str(tmp_path / "fresh")},
        retries=0,
    )
    (tmp_path / "fresh").mkdir()
    failed = uqscale.run(once, tmp_path / "run0", client=client)
    assert len(failed.failures) == 16
    assert {f.error for f in failed.failures} == {"OSError"}
    assert failed.failures[0].message == "transient: license server busy"


def test_nonfinite_policy_keep_keeps_nan_samples(tmp_path, client):
    study = per_sample_study(
        "tests.models.flaky:per_sample", [{"method": "moments", "n": 64}], nonfinite="keep"
    )
    result = uqscale.run(study, tmp_path / "run", client=client)
    x1 = result.design["x1"].values
    assert {f.sample for f in result.failures} == set(np.flatnonzero(x1 > 0.8))
    assert np.isnan(result.results["y"].values[x1 < 0.1]).all()


def test_a_contract_breach_fails_its_sample_and_keeps_every_stored_batch(tmp_path, client):
    study = per_sample_study(
        "tests.models.breakers:returns_wrong_things",
        [{"method": "moments", "n": 40}],
        {"bad_above": 0.7},
    )
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=5)
    x1 = result.design["x1"].values
    bad = set(np.flatnonzero(x1 > 0.7).tolist())
    assert {f.sample for f in result.failures} == bad
    assert {f.error for f in result.failures} == {"ContractError"}
    assert result.failures[0].message == (
        "models[0].python: 'tests.models.breakers:returns_wrong_things' must return a "
        "mapping from output name to value (got list)"
    )
    good = ~np.isin(np.arange(40), list(bad))
    np.testing.assert_array_equal(
        result.results["y"].values[good], x1[good] + result.design["x2"].values[good]
    )


def test_a_vectorised_contract_breach_fails_only_the_samples_at_fault(tmp_path, client):
    study = uniform_study(
        "shape",
        "tests.models.breakers:vectorized_wrong_shape",
        2,
        [{"method": "moments", "n": 32}],
        parameters={"bad_above": 0.9},
    )
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=8)
    x1 = result.design["x1"].values
    bad = np.flatnonzero(x1 > 0.9)
    assert len(bad) and {f.sample for f in result.failures} == set(bad.tolist())
    assert result.failures[0].message == (
        "models[0].outputs[0]: output 'y' has shape (0,) "
        "for a batch of 1; expected (1,) from its declared "
        "dims []"
    )
    assert np.isfinite(result.results["y"].values).sum() == 32 - len(bad)


@pytest.fixture
def own_cluster():
    """A LocalCluster of its own (its workers get killed), nannies restarting them."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.mark.slow
def test_a_sample_that_kills_its_worker_costs_that_sample_only(tmp_path, own_cluster):
    """No timeout: the model runs inside the worker; one sample segfaults, one is
    SIGKILLed (as by the out-of-memory killer). Each is found and recorded as
    ModelCrashed; every other sample of their batches is stored."""
    study = per_sample_study(
        "tests.models.breakers:kills_its_process", [{"method": "moments", "n": 48}]
    )
    x1 = build_design(study)["x1"].values
    low, high = np.sort(x1)[[0, -1]]
    study = study.replace(
        models=[
            dataclasses.replace(
                study.models[0],
                parameters={
                    "segfault_below": float(low) + 1e-12,
                    "kill_above": float(high) - 1e-12,
                },
            )
        ]
    )
    result = uqscale.run(study, tmp_path / "run", client=own_cluster, batch_size=24)
    crashed = {int(np.argmin(x1)), int(np.argmax(x1))}
    assert {f.sample: f.error for f in result.failures} == dict.fromkeys(crashed, "ModelCrashed")
    assert sorted(f.message for f in result.failures) == [
        "the model's process died (killed by signal SIGKILL) without a result",
        "the model's process died (killed by signal SIGSEGV) without a result",
    ]
    stored = np.isfinite(result.results["y"].values)
    assert stored.sum() == 48 - 2 and not stored[list(crashed)].any()
    np.testing.assert_array_equal(
        result.results["y"].values[stored], x1[stored] + result.design["x2"].values[stored]
    )
    # Nothing is left to do: a resume runs nothing (ModelCrashed is not retried).
    assert uqscale.api.resume(result.directory, client=own_cluster).ran == 0
