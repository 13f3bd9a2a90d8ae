"""A polynomial chaos surrogate kept with its run: evaluated in Python, on Dask arrays,
from the command line, all without the model."""

import subprocess
import sys

import dask.array as da
import numpy as np
import pandas as pd

import uqscale as uq


def heat(conductivity, flux):
    """Temperature rise across a slab: the model the surrogate stands in for."""
    return {"rise": flux / conductivity}


study = uq.Study(
    name="slab",
    seed=2,
    inputs={"conductivity": uq.LogNormal(0.0, 0.1, units="W/m/K"), "flux": uq.Normal(10, 1)},
    models=[uq.ModelStep("heat", python=heat, inputs=["conductivity", "flux"], outputs=["rise"])],
    analysis=[uq.Analysis("pce", order=4)],
    execution=uq.Execution(workers=1),
)
run = uq.run(study, out="runs/slab", report=False)

surrogate = run.surrogate("rise")
k, q = np.array([0.9, 1.0, 1.1]), np.array([9.0, 11.0, 10.0])
print("surrogate:", surrogate(conductivity=k, flux=q).values.round(4))
print("model:    ", heat(k, q)["rise"].round(4))

lazy = surrogate(conductivity=da.from_array(k, chunks=1), flux=da.from_array(q, chunks=1))
print("lazy until computed:", lazy.chunks is not None, lazy.compute().values.round(4))

pd.DataFrame({"conductivity": k, "flux": q}).to_csv("points.csv", index=False)
command = [sys.executable, "-m", "uqscale.cli", "predict", "runs/slab", "--output", "rise"]
subprocess.run([*command, "--inputs", "points.csv", "--out", "predicted.csv"], check=True)
print(pd.read_csv("predicted.csv").round(4))
