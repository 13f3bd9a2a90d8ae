"""Synthetic measurements of a hidden "true patient" for ``studies/pkpd_twin.yaml``.

The true patient's six inputs are one draw from the study's prior (seeded); its plasma
concentration and biomarker are simulated with the study's own model chain and
parameters, and read at ``OBSERVED_AFTER`` hours after every dose, with independent
Gaussian errors: 15 % of the concentration (an assay's proportional error) and 0.1
fold of baseline for the biomarker. The error standard deviations are written with
each row, as the ``assimilate:`` block reads them.

Run ``python studies/data/make_pkpd_twin.py`` (from the repository root) to rewrite
``studies/data/pkpd_twin.csv``; it prints the truth, which the study declares in
``assimilate.truth``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

if __name__ == "__main__":  # run as a script: the repository root holds `studies`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from studies.models.pkpd import cell_signalling
from studies.models.pkpd_twin import dosing_times, repeated_doses
from uqscale.distributions import build

STUDY = Path(__file__).resolve().parents[1] / "pkpd_twin.yaml"
OBSERVATIONS = Path(__file__).resolve().with_name("pkpd_twin.csv")
SEED = 20261202
OBSERVED_AFTER = (4.0, 16.0)
"""Hours after each dose at which plasma and biomarker are measured."""
PLASMA_CV = 0.15
BIOMARKER_SD = 0.1
QUANTITIES = {"plasma": "plasma_conc", "biomarker": "biomarker"}
"""Observed quantity -> the model output it is read from."""


def study_file(path: Path = STUDY) -> dict[str, Any]:
    """The study file as a mapping (read with plain YAML: the generator needs only its
    inputs and model parameters)."""
    with path.open() as stream:
        return dict(yaml.safe_load(stream))


def prior_draw(study: Mapping[str, Any], rng: np.random.Generator, n: int) -> dict[str, Any]:
    """``n`` independent draws of every uncertain input from its prior.

    Parameters
    ----------
    study
        The study file's mapping.
    rng
        The random stream.
    n
        Number of draws.

    Returns
    -------
    dict
        ``{input: (n,) array}``.
    """
    names = list(study["inputs"])
    u = rng.random((len(names), n))
    return {
        name: np.asarray(build(entry["distribution"], entry).inv(u[k]), dtype=float)
        for k, (name, entry) in enumerate(study["inputs"].items())
    }


def simulate(study: Mapping[str, Any], inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The study's model chain (cell, then body) on a batch of inputs.

    Parameters
    ----------
    study
        The study file's mapping (its steps' parameters are used).
    inputs
        ``{input: (n,) array}`` of every uncertain input.

    Returns
    -------
    dict
        The body step's outputs, fields ``(n, time)``.
    """
    cell, body = (step.get("parameters", {}) for step in study["models"])
    micro = cell_signalling(inputs["kd"], inputs["signal_gain"], inputs["signal_rate"], **cell)
    return repeated_doses(
        micro["k_off"],
        micro["transducer_k"],
        micro["transit_rate"],
        inputs["clearance"],
        inputs["v_plasma"],
        inputs["q_exchange"],
        **body,
    )


def field_times(study: Mapping[str, Any]) -> np.ndarray:
    """The coordinate of the body step's field outputs, h."""
    body = study["models"][1]
    field = next(o for o in body["outputs"] if isinstance(o, dict))
    return np.asarray(field["coords"]["time"], dtype=float)


def observation_times(study: Mapping[str, Any]) -> np.ndarray:
    """Every measurement time: ``OBSERVED_AFTER`` each dose, h."""
    body = study["models"][1]["parameters"]
    doses = dosing_times(body["doses"], body["dose_interval"])
    return np.sort((doses[:, None] + np.asarray(OBSERVED_AFTER)[None, :]).ravel())


def measure(
    study: Mapping[str, Any], truth: Mapping[str, float], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Noisy measurements of the patient ``truth``: rows of the observations file.

    Parameters
    ----------
    study
        The study file's mapping.
    truth
        The patient's inputs.
    rng
        The stream of the measurement errors.

    Returns
    -------
    list of dict
        ``{time, quantity, value, error_sd}`` in time order, plasma before biomarker.
    """
    outputs = simulate(study, {k: np.array([v]) for k, v in truth.items()})
    grid = field_times(study)
    rows = []
    for time in observation_times(study):
        at = int(np.flatnonzero(np.isclose(grid, time))[0])
        for quantity, output in QUANTITIES.items():
            exact = float(outputs[output][0, at])
            sd = PLASMA_CV * exact if quantity == "plasma" else BIOMARKER_SD
            value = exact + sd * rng.standard_normal()
            rows.append({"time": time, "quantity": quantity, "value": value, "error_sd": sd})
    return rows


def write_observations(rows: list[dict[str, Any]], path: Path) -> None:
    """Write observation rows as the CSV file the ``assimilate:`` block reads.

    Parameters
    ----------
    rows
        ``{time, quantity, value, error_sd}`` each.
    path
        The file to write.
    """
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, ["time", "quantity", "value", "error_sd"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if k != "quantity" else v) for k, v in row.items()})


def true_patient(study: Mapping[str, Any]) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The shipped patient: its inputs (one prior draw from ``SEED``, to six digits)
    and its measurements (the rows of ``pkpd_twin.csv``, unrounded)."""
    rng = np.random.default_rng(SEED)
    truth = {k: float(f"{v[0]:.6g}") for k, v in prior_draw(study, rng, 1).items()}
    return truth, measure(study, truth, rng)


def main() -> None:
    """Draw the true patient, write its measurements and print its inputs."""
    truth, rows = true_patient(study_file())
    write_observations(rows, OBSERVATIONS)
    print("truth: {" + ", ".join(f"{k}: {v:g}" for k, v in truth.items()) + "}")


if __name__ == "__main__":
    main()
