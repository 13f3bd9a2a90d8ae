"""Whole runs on a real Dask cluster: reproducibility, faults, the run folder."""

import json
import textwrap

import numpy as np
import pytest
import xarray as xr

import uqscale
from tests.conftest import uniform_study
from uqscale.exitcodes import ExitCode
from uqscale.study.files import load_study
from uqscale.testfunctions import ishigami

ANALYSES = [
    {"method": "pce", "order": 3, "n": 64},
    {"method": "sobol", "n": 64},
    {"method": "moments"},
]


def test_results_do_not_depend_on_workers_or_batch_size(tmp_path, client):
    study = uniform_study(
        "ishigami", "uqscale.testfunctions:ishigami", 3, ANALYSES, low=-3.0, high=3.0
    )
    on_two = uqscale.run(study, tmp_path / "a", client=client, batch_size=7)
    on_one = uqscale.run(study.replace(execution=uqscale.Execution(workers=1)), tmp_path / "b")
    xr.testing.assert_identical(on_two.results, on_one.results)
    assert on_two.indices["outputs"] == on_one.indices["outputs"]
    exact = ishigami(*[on_two.design[n].values for n in ("x1", "x2", "x3")])
    np.testing.assert_array_equal(on_two.results["y"].values, exact["y"])


def test_failures_are_recorded_and_do_not_stop_the_run(tmp_path, client):
    study = uniform_study(
        "flaky", "tests.models.flaky:per_sample", 2, [{"method": "pce", "order": 2, "n": 100}]
    )
    study = study.replace(
        models=[
            study.models[0].__class__(
                name="model",
                python="tests.models.flaky:per_sample",
                inputs=("x1", "x2"),
                outputs=("y",),
            )
        ]
    )
    result = uqscale.run(study, tmp_path / "run", client=client)
    x1 = result.design["x1"].values
    expected_failed = set(np.flatnonzero((x1 > 0.8) | (x1 < 0.1)))
    assert {f.sample for f in result.failures} == expected_failed
    errors = {f.error for f in result.failures}
    assert errors == {"RuntimeError", "NonFiniteOutput"}
    raised = next(f for f in result.failures if f.error == "RuntimeError")
    assert "solver diverged" in raised.message and "per_sample" in raised.traceback
    assert np.isnan(result.results["y"].values[sorted(expected_failed)]).all()
    on_disk = json.loads((result.directory / "failures.json").read_text())
    assert len(on_disk) == len(expected_failed)
    assert result.indices["failed"] == len(expected_failed)
    assert result.indices["outputs"]["y"]["pce"]["n_failed"] == len(expected_failed)


def test_a_contract_breach_fails_its_samples_and_keeps_the_folder(tmp_path, client):
    study = uniform_study(
        "broken", "tests.models.flaky:missing_output", 2, [{"method": "moments", "n": 16}]
    )
    result = uqscale.run(study, tmp_path / "run", client=client)
    assert result.verdict == ExitCode.ALL_FAILED
    assert {f.error for f in result.failures} == {"ContractError"}
    assert len(result.failures) == 16
    assert "did not return output 'y' (it returned: z)" in result.failures[0].message
    assert (tmp_path / "run" / "failures.json").exists()


def test_models_import_from_the_study_folder_in_every_worker(tmp_path, client):
    package = tmp_path / "study" / "localmodels_uq"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "square.py").write_text(
        textwrap.dedent("""
        import os
        def square(x1):
            return {"y": x1 ** 2, "pid": float(os.getpid())}
    """)
    )
    (tmp_path / "study" / "study.yaml").write_text(
        textwrap.dedent("""
        study: local
        inputs: {x1: {distribution: uniform, low: 0, high: 1}}
        models:
          - {name: sq, python: "localmodels_uq.square:square", inputs: [x1],
             outputs: [y, pid]}
        analysis: [{method: moments, n: 64}]
    """)
    )
    study = load_study(tmp_path / "study" / "study.yaml")
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=4)
    np.testing.assert_allclose(result.results["y"].values, result.design["x1"].values ** 2)
    assert len(set(result.results["pid"].values)) == 2  # both worker processes imported it


def test_run_folder_is_readable_with_plain_xarray(tmp_path, client):
    study = uniform_study("ishigami", "uqscale.testfunctions:ishigami", 3, ANALYSES)
    result = uqscale.run(study, tmp_path / "run", client=client)
    folder = result.directory
    xr.testing.assert_identical(xr.open_dataset(folder / "results.nc").load(), result.results)
    assert set(xr.open_dataset(folder / "design.nc").data_vars) == {"x1", "x2", "x3"}
    tree = xr.open_datatree(folder / "analyses.nc")
    assert float(tree["sobol/y"]["ST"].sel(input="x1")) == pytest.approx(
        result.indices["outputs"]["y"]["sobol"]["ST"]["x1"]
    )
    indices = json.loads((folder / "indices.json").read_text())
    entry = indices["outputs"]["y"]
    assert set(entry) == {"pce", "sobol", "moments"}
    assert set(entry["sobol"]["S1"]) == {"x1", "x2", "x3"}
    assert {"mean", "variance", "S1", "ST", "S1_conf", "ST_conf"} <= set(entry["sobol"])
    assert {"mean", "variance", "S1", "ST", "S2", "loo_error"} <= set(entry["pce"])
    assert set(entry["pce"]["S2"]) == {"x1|x2", "x1|x3", "x2|x3"}
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["seed"] == study.seed and "finished" in provenance
