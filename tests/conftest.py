"""Shared fixtures: a real two-worker Dask cluster, and a study evaluated in-process."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from uqscale.analysis.run_all import analyze_all, errors_of
from uqscale.design import build_design, design_columns
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.store import RunStore
from uqscale.study import Study


@pytest.fixture(scope="session")
def client():
    """A real LocalCluster of two single-threaded worker processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        # not the default client: runs that pass no client start their own cluster (an
        # active default client is what uqscale.run would use)
        Client(cluster, set_as_default=False) as dask_client,
    ):
        yield dask_client


def analyse_in_process(study: Study, tmp_path):
    """Design, evaluate (one batch, no Dask), store and analyse ``study``.

    Returns the analyses (a DataTree, ``tree[label][output]``) and the errors
    ``{label: message}``.
    """
    design = build_design(study)
    names = design_columns(study)
    batch = evaluate_batch(Pipeline.from_study(study), 0, {n: design[n].values for n in names})
    store = RunStore.create(tmp_path / "run", study, "", design, {})
    store.write_batch(batch, {o.name: o.dims for o in study.outputs})
    results, _ = store.collect(design.sizes["sample"], {o.name: o.coords for o in study.outputs})
    tree = analyze_all(study, design, results)
    return tree, errors_of(tree)


def uniform_study(
    name: str,
    python: str,
    n_inputs: int,
    analysis: list[dict],
    low=0.0,
    high=1.0,
    scales=None,
    parameters=None,
    outputs=("y",),
) -> Study:
    """A study of ``n_inputs`` uniform inputs ``x1 ..`` feeding one vectorised model."""
    inputs = {
        f"x{i}": {"distribution": "uniform", "low": low, "high": high}
        for i in range(1, n_inputs + 1)
    }
    for i, scale in enumerate(scales or [], start=1):
        inputs[f"x{i}"]["scale"] = scale
    step = {
        "name": "model",
        "python": python,
        "inputs": list(inputs),
        "outputs": list(outputs),
        "vectorized": True,
    }
    if parameters:
        step["parameters"] = parameters
    return Study.from_dict(
        {"study": name, "seed": 7, "inputs": inputs, "models": [step], "analysis": analysis}
    )


ISHIGAMI = {
    "S1": [0.313905, 0.442411, 0.0],
    "ST": [0.557589, 0.442411, 0.243684],
    "mean": 3.5,
    "variance": 13.844588,
}
"""Exact Ishigami values (docs/references.md)."""


def gfunction_exact(a):
    """Exact first and total indices of the G-function with coefficients ``a``."""
    a = np.asarray(a, dtype=float)
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    total = np.prod(1.0 + v) - 1.0
    st = np.array([v[i] * np.prod(np.delete(1.0 + v, i)) for i in range(len(a))]) / total
    return v / total, st
