"""The library's Lorenz-96 twin (studies/lorenz96_twin.yaml) on its first cycles: the
ETKF through the engine is the bare ETKF loop on the same observations and initial
ensemble, bit for bit, and tracks the hidden truth far below climatology (3.6), with a
spread of the size of its error."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from uqscale import api
from uqscale.assimilation.cycles import first_members
from uqscale.assimilation.filters import etkf
from uqscale.assimilation.state import read_truth
from uqscale.study import load_study
from uqscale.study.assimilate import check_assimilate
from uqscale.testfunctions import lorenz96_advance

STUDIES = Path(__file__).resolve().parents[2] / "studies"
CYCLES = 20


def copy_study(folder: Path, cycles: int, spinup: int = 20) -> Path:
    """The library's study in ``folder``, with its first ``cycles`` cycles of
    observations and a spin-up of ``spinup``."""
    shutil.copytree(STUDIES / "models", folder / "models")
    (folder / "data").mkdir()
    shutil.copy(STUDIES / "data" / "lorenz96_truth.csv", folder / "data")
    rows = (STUDIES / "data" / "lorenz96_obs.csv").read_text().splitlines()
    kept = rows[: 1 + 40 * cycles]  # the header and the first cycles' observations
    (folder / "data" / "lorenz96_obs.csv").write_text("\n".join(kept) + "\n")
    text = (STUDIES / "lorenz96_twin.yaml").read_text()
    path = folder / "lorenz96_twin.yaml"
    path.write_text(text.replace("spinup: 20", f"spinup: {spinup}"))
    return path


def bare_loop(study_file: Path) -> tuple[np.ndarray, np.ndarray]:
    """RMSE and spread per cycle of the ETKF as a bare NumPy loop: the study's initial
    ensemble (and forcing draws) advanced at once, nothing stored."""
    study = load_study(study_file)
    block = study.assimilate
    assert block is not None and block.state is not None
    observations = check_assimilate(study)
    truth = read_truth(study, observations)
    assert truth is not None
    members = first_members(study)
    forcing, ensemble = members[:, :1], members[:, 1:]
    rmse, spread = [], []
    start = block.state.start
    for until in observations.times:
        ensemble = lorenz96_advance(ensemble, until - start, 0.05, forcing)
        rows = observations.at(until)
        y, error_sd = observations.value[rows], observations.error_sd[rows]
        ensemble = etkf(ensemble, ensemble, y, error_sd, None, block.inflation)
        rmse.append(np.sqrt(np.mean((ensemble.mean(axis=0) - truth[float(until)]) ** 2)))
        spread.append(np.sqrt(np.mean(ensemble.var(axis=0, ddof=1))))
        start = until
    return np.array(rmse), np.array(spread)


@pytest.mark.slow
def test_the_lorenz96_twin_tracks_the_truth_from_its_first_cycles(tmp_path, client):
    study_file = copy_study(tmp_path / "studies", CYCLES, spinup=5)
    result = api.run(load_study(study_file), tmp_path / "run", client=client)
    entry = result.indices["assimilation"]
    assert entry["against"] == "truth" and len(entry["cycles"]) == CYCLES
    # The engine's cycles are the bare filter's, bit for bit.
    rmse, spread = bare_loop(study_file)
    np.testing.assert_array_equal([c["rmse"] for c in entry["cycles"]], rmse)
    np.testing.assert_array_equal([c["spread"] for c in entry["cycles"]], spread)
    # Climatology's RMSE is 3.6 and the observations' own error 1: the twin is well
    # below both from its first cycles, and its spread is of the size of its error.
    assert entry["rmse_mean"] < 0.4
    assert 0.5 < entry["spread_mean"] / entry["rmse_mean"] < 2.0
    assert entry["cycles"][0]["rmse"] < 1.0
