"""Run folders for report tests, built in-process (no Dask): the design evaluated in
one batch, stored, then analysed by ``uqscale.api.analyze`` (which writes the report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from uqscale.api import analyze
from uqscale.design import build_design, design_columns
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.provenance import provenance, session_record
from uqscale.store import RunStore, write_json, write_netcdf
from uqscale.study import Study
from uqscale.study.files import study_to_yaml


def make_run(study: Study, directory: Path) -> Path:
    """A finished run folder of ``study`` at ``directory``."""
    design = build_design(study)
    text = study_to_yaml(study)
    store = RunStore.create(
        directory, study, text, design, provenance(text, study.seed) | {"study_dir": None}
    )
    started = store.provenance()["started"]
    batch = evaluate_batch(
        Pipeline.from_study(study), 0, {n: design[n].values for n in design_columns(study)}
    )
    store.write_batch(batch, {o.name: o.dims for o in study.outputs})
    where = {"scheduler": "inproc://test", "workers": 1, "dashboard": None}
    store.update_provenance({"sessions": [session_record(started, design.sizes["sample"], where)]})
    analyze(directory)
    return directory


def add_groups(directory: Path, groups: dict[str, xr.Dataset], methods: dict[str, str]) -> None:
    """Add ``label/output`` groups to a run's analyses.nc (for analyses in shapes the
    demo study does not produce: grey zone, convergence of sparse PCE), each label's
    node naming its method (``methods``)."""
    with xr.open_datatree(directory / "analyses.nc", engine="h5netcdf") as stored:
        tree = stored.load().copy()
    for path, dataset in groups.items():
        tree[path] = xr.DataTree(dataset)
    for label, method in methods.items():
        tree[label].attrs["method"] = method
    write_netcdf(directory / "analyses.nc", tree)


def greyzone_dataset(inputs: list[str]) -> xr.Dataset:
    """A grey-zone analysis of one scalar output in the documented shape: the output
    drifts once dx reaches a tenth of the process scale (1.0)."""
    dx = np.geomspace(0.01, 1.0, 7)
    mean = 1.0 + 0.8 / (1.0 + np.exp(-6 * (np.log10(dx) + 0.8)))
    std = np.full_like(dx, 0.12)
    sensitivity = np.abs(np.gradient(mean, np.log(dx))) / std
    weights = np.linspace(1.0, 0.2, len(inputs))
    st = np.outer(weights / weights.sum(), 1 + 0.3 * np.log10(dx) / 2)
    zone = dx[sensitivity > 1.0]
    factors = [*inputs, "resolution"]
    share = np.append(weights / weights.sum() * 0.7, 0.3)
    return xr.Dataset(
        {
            "mean": ("resolution", mean),
            "std": ("resolution", std),
            "S1": (("input", "resolution"), 0.9 * st),
            "ST": (("input", "resolution"), st),
            "sensitivity": ("resolution", sensitivity),
            "observed_order": ("resolution", np.full_like(dx, 1.0)),
            "S1_with_resolution": ("factor", 0.9 * share),
            "ST_with_resolution": ("factor", share),
        },
        coords={
            "resolution": dx,
            "input": inputs,
            "factor": factors,
            "dx_over_scale": ("resolution", dx / 1.0),
        },
        attrs={
            "source": "pce",
            "threshold": 1.0,
            "process_scale": 1.0,
            "grey_zone": [float(zone.min()), float(zone.max())],
        },
    )


def convergence_dataset(final: xr.Dataset) -> xr.Dataset:
    """A sparse PCE analysis in the shape ``uqscale.analysis.pce`` gives with
    ``convergence: true``: final indices, and ``*_by_runs`` over a dim ``runs`` (the
    same fit on growing prefixes of the design) converging to them."""
    runs = np.array([20, 40, 80, 160, 320])
    noise = 0.3 / np.sqrt(runs / 20)
    data = {key: ("input", final[key].values) for key in ("S1", "ST")}
    data |= {
        f"{key}_by_runs": (("runs", "input"), (1 + noise[:, None]) * final[key].values)
        for key in ("S1", "ST")
    }
    data |= {
        "loo_error": ((), 4e-4),
        "cv_error": ((), 5e-4),
        "cv_error_by_runs": ("runs", 0.5 / runs**1.2),
    }
    return xr.Dataset(
        data,
        coords={"input": final["input"].values, "runs": runs},
        attrs={"order": 3, "terms": 35, "n_used": 320},
    )


def write_verification(directory: Path) -> None:
    """A verification.json in the documented shape: one case passes, one fails."""
    write_json(
        directory / "verification.json",
        [
            {
                "name": "no uptake at t=0",
                "output": "u",
                "expected": 0.0,
                "got": 0.0,
                "error": 0.0,
                "tolerance": 1e-12,
                "rtol": None,
                "passed": True,
                "at": {"t": 0.0},
            },
            {
                "name": "flux at reference",
                "output": "flux",
                "expected": 0.25,
                "got": 0.2625,
                "error": 0.0125,
                "tolerance": 0.005,
                "rtol": 0.02,
                "passed": False,
                "message": "output differs by 5 %",
            },
        ],
    )
