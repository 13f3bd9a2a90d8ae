"""The pkpd patient twin over repeated synthetic patients: coverage and width of its
predictive bands for the next dose, and the Shapley effects by scale of its forecast
under the posterior.

Each patient is a fresh truth drawn from the study's prior, measured as the shipped
patient is (``studies/data/make_pkpd_twin.py``: plasma and biomarker 4 h and 16 h after
each of four daily doses). The study's ETKF (40 members, log inputs) cycles over the
measurements, as the engine does (the engine's analysis step and assembly, the model
in process: ``tests/assimilation/test_pkpd_twin.py``); the forecast of the first
cycle after dose ``d`` is run with the inputs estimated from every measurement of the
doses before, so its quantiles
over dose ``d``'s 24 hours are the twin's predictive band for that dose. Coverage is
the fraction of (patient, dose, time) at which the true, noise-free trajectory lies
inside the band; a calibrated twin covers at the band's nominal rate.

Which uncertainty remains, by scale: Shapley effects (each scale group's share of the
forecast's variance) from real runs under the prior and under the posterior of the
shipped patient, a multivariate lognormal fitted to its final analysis ensemble
(lognormal marginals and a Gaussian copula of the log correlation). Shapley effects,
not Sobol indices: the posterior's inputs are strongly correlated (the measurements
pin down combinations such as the potency ``kd`` with the gain), which Sobol indices
of independent inputs would drop.

Run: ``python benchmarks/assimilation_pkpd_twin.py [PATIENTS] [PERMUTATIONS]`` (from
the repository root; defaults 30 and 60).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from benchmarks.common import ROOT, positional
from studies.data import make_pkpd_twin as twin
from tests.assimilation.test_pkpd_twin import patient_study, twin_filter
from uqscale.api import run
from uqscale.study import Analysis, Study

BANDS = (0.5, 0.9)
"""Nominal contents of the central predictive bands scored."""
QUANTITIES = ("plasma_conc", "biomarker")
FORECAST = ("trough_conc", "biomarker_end")
"""The scalar forecasts whose Shapley effects are printed."""


def dose_bands(
    study: Mapping[str, Any], ds: xr.Dataset, truth: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Coverage and relative width of each predictive band, per dose and quantity.

    Parameters
    ----------
    study
        The study file's mapping.
    ds
        The ``assimilation.nc`` Dataset of one patient.
    truth
        The patient's inputs.

    Returns
    -------
    list of dict
        ``{dose, quantity, band, inside, points, width}``; dose 0's band is the prior's.
    """
    body = study["models"][1]["parameters"]
    grid = twin.field_times(study)
    exact = twin.simulate(study, {k: np.array([v]) for k, v in truth.items()})
    cycle_times = ds["time"].values
    found = []
    for dose in range(body["doses"]):
        start = dose * body["dose_interval"]
        cycle = int(np.searchsorted(cycle_times, start))
        window = (grid >= start) & (grid < start + body["dose_interval"])
        for quantity in QUANTITIES:
            members = ds[f"forecast_{quantity}"].values[cycle][:, window]
            true = exact[quantity][0, window]
            for band in BANDS:
                low, high = np.quantile(members, [(1 - band) / 2, (1 + band) / 2], axis=0)
                found.append(
                    {
                        "dose": dose,
                        "quantity": quantity,
                        "band": band,
                        "inside": int(((low <= true) & (true <= high)).sum()),
                        "points": int(window.sum()),
                        "width": float(np.mean((high - low) / np.abs(true))),
                    }
                )
    return found


def posterior_study(study: Study, ds: xr.Dataset, analysis: Analysis) -> Study:
    """The study with its inputs distributed as the final analysis ensemble: a
    multivariate lognormal fitted to it (lognormal marginals of the members' log-mean
    and log-sd, and a Gaussian copula of their log correlation).

    Parameters
    ----------
    study
        The twin study (without its ``assimilate`` block).
    ds
        The ``assimilation.nc`` Dataset.
    analysis
        The analysis to run under the posterior.

    Returns
    -------
    Study
    """
    final = np.log(ds["parameters_analysis"].values[-1])
    names = [str(n) for n in ds["parameter"].values]
    fitted = study.to_dict()
    for k, name in enumerate(names):
        entry = fitted["inputs"][name]
        fitted["inputs"][name] = {
            "distribution": "lognormal",
            "mu": float(final[:, k].mean()),
            "sigma": float(final[:, k].std(ddof=1)),
            **{key: entry[key] for key in ("scale", "units") if key in entry},
        }
    correlation = np.corrcoef(final.T)
    correlation = (correlation + correlation.T) / 2
    np.fill_diagonal(correlation, 1.0)  # exactly, as the correlation block demands
    fitted["correlation"] = {"inputs": names, "matrix": correlation.tolist()}
    fitted["analysis"] = [analysis.to_dict()]
    fitted.pop("verification", None)
    return Study.from_dict(fitted, base_dir=study.base_dir)


def scale_effects(study: Study, out: Path) -> dict[str, dict[str, float]]:
    """Shapley effects by scale of the ``FORECAST`` outputs, from a real run in ``out``."""
    run(study, out=out)
    indices = json.loads((out / "indices.json").read_text())
    return {
        output: entry["shapley"]["groups"]["Sh"]
        for output, entry in indices["outputs"].items()
        if output in FORECAST
    }


def main() -> None:
    patients, permutations = positional((30, 60))
    data = twin.study_file()
    rows_all = []
    rng = np.random.default_rng(20261203)
    scratch = tempfile.mkdtemp(prefix="pkpd_twin_")
    for patient in range(patients):
        truth = {k: float(v[0]) for k, v in twin.prior_draw(data, rng, 1).items()}
        study = patient_study(truth, seed=patient)
        ds = twin_filter(study, twin.measure(data, truth, rng), Path(scratch) / f"{patient}")
        rows_all += [r | {"patient": patient} for r in dose_bands(data, ds, truth)]
        print(f"patient {patient + 1}/{patients}: rmse {ds.attrs['rmse_mean']:.3f}", flush=True)
    print(
        f"\npkpd twin, {patients} synthetic patients, ETKF N = 40: predictive band for each "
        f"dose (dose 0: the prior's), coverage of the true trajectory [mean relative width]"
    )
    print(f"{'dose':>4s} {'quantity':12s} " + " ".join(f"{f'{b:.0%} band':>16s}" for b in BANDS))
    for dose in range(data["models"][1]["parameters"]["doses"]):
        for quantity in QUANTITIES:
            cells = []
            for band in BANDS:
                picked = [
                    r
                    for r in rows_all
                    if (r["dose"], r["quantity"], r["band"]) == (dose, quantity, band)
                ]
                cover = sum(r["inside"] for r in picked) / sum(r["points"] for r in picked)
                width = np.mean([r["width"] for r in picked])
                cells.append(f"{cover:6.1%} [{width:6.3f}]")
            print(f"{dose:4d} {quantity:12s} " + " ".join(f"{c:>16s}" for c in cells))
    for band in BANDS:
        after = [r for r in rows_all if r["band"] == band and r["dose"] > 0]
        cover = sum(r["inside"] for r in after) / sum(r["points"] for r in after)
        print(f"doses 1-3, both quantities: {band:.0%} band covers {cover:.1%}")
    truth, rows = twin.true_patient(data)
    shipped = twin_filter(patient_study(truth, seed=data["seed"]), rows, Path(scratch) / "shipped")
    shutil.rmtree(scratch)
    study = Study.from_dict(
        {k: v for k, v in data.items() if k != "assimilate"}, base_dir=ROOT / "studies"
    )
    names = list(shipped["parameter"].values)
    correlation = np.corrcoef(np.log(shipped["parameters_analysis"].values[-1]).T)
    pair = np.unravel_index(np.abs(correlation - np.eye(len(names))).argmax(), correlation.shape)
    print(
        f"\nshipped patient: strongest posterior correlation (log inputs) "
        f"{names[pair[0]]}-{names[pair[1]]} {correlation[pair]:+.2f}"
    )
    shapley = Analysis("shapley", {"permutations": permutations, "n_var": 300})
    posterior = posterior_study(study, shipped, shapley)
    with tempfile.TemporaryDirectory() as folder:
        prior = scale_effects(study.replace(analysis=(shapley,)), Path(folder) / "prior")
        after = scale_effects(posterior, Path(folder) / "posterior")
    print(f"Shapley effects by scale ({permutations} orderings): prior -> posterior")
    for output in prior:
        cells = [f"{g} {prior[output][g]:.2f} -> {after[output][g]:.2f}" for g in prior[output]]
        print(f"  {output:14s} " + "; ".join(cells))


if __name__ == "__main__":
    main()
