"""Run folders shared by the report tests (built once per session, in-process)."""

from __future__ import annotations

from unittest import mock

import pytest
import xarray as xr

from tests.report.models import POINTS, TIMES
from tests.report.runs import (
    add_groups,
    convergence_dataset,
    greyzone_dataset,
    make_run,
    write_verification,
)
from uqscale.report.html import write_report
from uqscale.study import Study

DEMO = {
    "study": "receptor-uptake",
    "description": "Receptor occupancy at the cell scale sets the uptake of a drug in "
    "tissue; which scale should the next experiment pin down?",
    "seed": 5,
    "inputs": {
        "k_on": {
            "distribution": "lognormal",
            "mu": 0.0,
            "sigma": 0.3,
            "scale": "micro",
            "units": "1/s",
        },
        "k_off": {
            "distribution": "uniform",
            "low": 0.5,
            "high": 1.5,
            "scale": "micro",
            "units": "1/s",
        },
        "diffusivity": {
            "distribution": "normal",
            "mean": 1.0,
            "std": 0.2,
            "lower": 0.3,
            "upper": 2.0,
            "scale": "macro",
            "units": "mm2/s",
        },
        "depth": {
            "distribution": "uniform",
            "low": 0.8,
            "high": 1.6,
            "scale": "macro",
            "units": "mm",
        },
    },
    "models": [
        {
            "name": "tissue",
            "python": "tests.report.models:tissue",
            "inputs": ["occupancy", "diffusivity", "depth"],
            "vectorized": True,
            "outputs": [
                {"name": "u", "dims": ["t"], "coords": {"t": TIMES.tolist()}},
                "u_end",
                "flux",
                "rate",
            ],
        },
        {
            "name": "cell",
            "python": "tests.report.models:cell",
            "inputs": ["k_on", "k_off"],
            "outputs": ["occupancy"],
            "vectorized": True,
        },
    ],
    "analysis": [
        {"method": "pce", "order": 3, "n": 120},
        {"method": "sobol", "n": 512},
        {"method": "morris", "trajectories": 10},
        {"method": "moments"},
    ],
}


def wide_study(inputs: int = 50) -> Study:
    """Fifty inputs in three scale groups."""
    scales = ("micro", "meso", "macro")
    return Study.from_dict(
        {
            "study": "wide",
            "seed": 3,
            "inputs": {
                f"x{i}": {
                    "distribution": "uniform",
                    "low": 0.0,
                    "high": 1.0,
                    "scale": scales[i % 3],
                }
                for i in range(1, inputs + 1)
            },
            "models": [
                {
                    "name": "wide",
                    "python": "tests.report.models:wide",
                    "inputs": [f"x{i}" for i in range(1, inputs + 1)],
                    "vectorized": True,
                    "outputs": ["y"],
                }
            ],
            "analysis": [
                {"method": "sobol", "n": 64},
                {"method": "pce", "order": 1, "n": 120},
                {"method": "morris", "trajectories": 4},
                {"method": "moments"},
            ],
        }
    )


LONG_FIELD = {
    "study": "profile",
    "seed": 4,
    "inputs": {
        name: {"distribution": "uniform", "low": 0.0, "high": 1.0} for name in ("x1", "x2", "x3")
    },
    "models": [
        {
            "name": "profile",
            "python": "tests.report.models:profile",
            "inputs": ["x1", "x2", "x3"],
            "vectorized": True,
            "outputs": [{"name": "f", "dims": ["s"], "coords": {"s": POINTS.tolist()}}],
        }
    ],
    "analysis": [{"method": "pce", "order": 2, "n": 40}, {"method": "moments"}],
}


FAILING = {
    "study": "flaky",
    "seed": 2,
    "inputs": {
        "x1": {"distribution": "uniform", "low": 0.0, "high": 1.0},
        "x2": {"distribution": "uniform", "low": 0.0, "high": 1.0},
    },
    "models": [
        {
            "name": "solver",
            "python": "tests.models.flaky:per_sample",
            "inputs": ["x1", "x2"],
            "outputs": ["y"],
        }
    ],
    "analysis": [
        {"method": "pce", "order": 2, "n": 60},
        {"method": "sobol", "n": 32},
        {"method": "moments"},
    ],
}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """A two-scale study with a field output, every analysis, a verification file, and
    grey-zone and PCE-convergence groups in the shapes their analyses document."""
    with mock.patch("uqscale.report.html.report_after_run"):  # built below, once
        directory = make_run(Study.from_dict(DEMO), tmp_path_factory.mktemp("demo") / "run")
    final = xr.open_datatree(directory / "analyses.nc", engine="h5netcdf")
    pce = final["pce/u_end"].to_dataset().load()
    final.close()
    add_groups(
        directory,
        {
            "greyzone/u_end": greyzone_dataset(list(DEMO["inputs"])),
            "pce_sparse/u_end": convergence_dataset(pce),
        },
        {"greyzone": "greyzone", "pce_sparse": "pce"},
    )
    write_verification(directory)
    write_report(directory)
    return directory


@pytest.fixture(scope="session")
def wide_run(tmp_path_factory):
    """Fifty inputs in three scale groups."""
    return make_run(wide_study(), tmp_path_factory.mktemp("wide") / "run")


@pytest.fixture(scope="session")
def field_run(tmp_path_factory):
    """A field output of 1,000 points."""
    return make_run(Study.from_dict(LONG_FIELD), tmp_path_factory.mktemp("field") / "run")


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory):
    """One scale group, failed samples, and an analysis that could not be computed."""
    return make_run(Study.from_dict(FAILING), tmp_path_factory.mktemp("flaky") / "run")
