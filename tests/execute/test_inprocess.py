"""Issue 17 point 4: small studies run in-process, bit for bit as on the cluster."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import uqscale
from tests.conftest import uniform_study
from uqscale.design import build_design
from uqscale.execute import inprocess
from uqscale.study import ModelStep

ISHIGAMI = [{"method": "sobol", "n": 256}]


def ishigami_study():
    return uniform_study(
        "ishigami", "uqscale.testfunctions:ishigami", 3, ISHIGAMI, low=-np.pi, high=np.pi
    )


def sessions(result) -> list[dict]:
    return uqscale.api.RunStore.open(result.directory).provenance()["sessions"]


def test_a_small_study_runs_without_a_cluster_bit_for_bit_as_on_one(tmp_path):
    # no client fixture: an active distributed client is used whenever there is one
    study = ishigami_study()
    alone = uqscale.run(study, tmp_path / "alone", report=False)
    assert sessions(alone)[-1]["cluster"]["in_process"] is True
    assert "cluster_start" not in alone.timings
    on_cluster = uqscale.run(study, tmp_path / "cluster", report=False, in_process=False)
    assert "in_process" not in sessions(on_cluster)[-1]["cluster"]
    xr.testing.assert_identical(alone.results.load(), on_cluster.results.load())
    assert alone.indices["outputs"] == on_cluster.indices["outputs"]


def test_forcing_the_cluster_starts_one(tmp_path):
    forced = uqscale.run(ishigami_study(), tmp_path / "run", report=False, in_process=False)
    assert "in_process" not in sessions(forced)[-1]["cluster"]
    assert forced.timings["cluster_start"] > 0


def test_a_long_study_goes_to_the_cluster_after_the_probe(tmp_path, monkeypatch):
    monkeypatch.setattr(inprocess, "IN_PROCESS_SECONDS", 1e-9)
    result = uqscale.run(ishigami_study(), tmp_path / "run", report=False)
    assert "in_process" not in sessions(result)[-1]["cluster"]
    assert result.timings["cluster_start"] > 0
    assert len(result.failures) == 0 and np.isfinite(result.results["y"].values).all()


@pytest.mark.slow
def test_a_sample_that_kills_the_child_is_isolated_on_the_cluster(tmp_path):
    python = "tests.models.breakers:kills_its_process"
    study = uniform_study("faults", python, 2, [{"method": "moments", "n": 48}])
    x1 = build_design(study)["x1"].values
    low = float(np.sort(x1)[0]) + 1e-12  # the first probe batch segfaults on its sample
    step = ModelStep(
        "model", python, ("x1", "x2"), ("y",), parameters={"segfault_below": low, "kill_above": 2.0}
    )
    result = uqscale.run(study.replace(models=[step]), tmp_path / "run", report=False)
    assert {f.sample: f.error for f in result.failures} == {int(np.argmin(x1)): "ModelCrashed"}
    stored = np.isfinite(result.results["y"].values)
    assert stored.sum() == 47
    np.testing.assert_array_equal(
        result.results["y"].values[stored], x1[stored] + result.design["x2"].values[stored]
    )


@pytest.mark.slow
def test_the_command_line_runs_small_studies_in_process_unless_cluster_local_is_given(tmp_path):
    import json
    import subprocess
    import sys

    from uqscale.study import save_study

    save_study(ishigami_study(), tmp_path / "study.yaml")

    def cluster_of(out: str, *extra: str) -> dict:
        command = [sys.executable, "-m", "uqscale.cli", "run", str(tmp_path / "study.yaml")]
        done = subprocess.run(
            [*command, "--out", str(tmp_path / out), "--quiet", "--no-report", *extra],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        provenance = json.loads((tmp_path / out / "provenance.json").read_text())
        return provenance["sessions"][-1]["cluster"]

    assert cluster_of("default")["in_process"] is True
    assert "in_process" not in cluster_of("forced", "--cluster", "local")
