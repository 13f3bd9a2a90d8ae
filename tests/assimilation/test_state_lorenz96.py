"""The library's Lorenz-96 twin (studies/lorenz96_twin.yaml) on its first cycles: the
ETKF through the engine tracks the hidden truth far below climatology (3.6), with a
spread of the size of its error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from uqscale import api
from uqscale.study import load_study

STUDIES = Path(__file__).resolve().parents[2] / "studies"
CYCLES = 20


@pytest.mark.slow
def test_the_lorenz96_twin_tracks_the_truth_from_its_first_cycles(tmp_path, client):
    folder = tmp_path / "studies"
    shutil.copytree(STUDIES / "models", folder / "models")
    (folder / "data").mkdir()
    shutil.copy(STUDIES / "data" / "lorenz96_truth.csv", folder / "data")
    rows = (STUDIES / "data" / "lorenz96_obs.csv").read_text().splitlines()
    kept = rows[: 1 + 40 * CYCLES]  # the header and the first cycles' observations
    (folder / "data" / "lorenz96_obs.csv").write_text("\n".join(kept) + "\n")
    text = (STUDIES / "lorenz96_twin.yaml").read_text()
    (folder / "twin.yaml").write_text(text.replace("spinup: 20", "spinup: 5"))
    result = api.run(load_study(folder / "twin.yaml"), tmp_path / "run", client=client)
    entry = result.indices["assimilation"]
    assert entry["against"] == "truth" and len(entry["cycles"]) == CYCLES
    # Climatology's RMSE is 3.6 and the observations' own error 1: the twin is well
    # below both after a few cycles, and its spread is of the size of its error.
    assert entry["rmse_mean"] < 0.4
    assert 0.5 < entry["spread_mean"] / entry["rmse_mean"] < 2.0
    assert entry["cycles"][0]["rmse"] < 1.0
