"""The Ishigami function through the Python API, the model inline: first and total
Sobol' indices by Saltelli sampling and from a polynomial chaos expansion."""

import numpy as np

import uqscale as uq


def f(x1, x2, x3):
    return {"y": np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)}


study = uq.Study(
    name="ishigami",
    seed=1,
    inputs={x: uq.Uniform(-np.pi, np.pi) for x in ("x1", "x2", "x3")},
    models=[uq.ModelStep("f", python=f, inputs=["x1", "x2", "x3"], outputs=["y"], vectorized=True)],
    analysis=[uq.Analysis("sobol", n=1024), uq.Analysis("pce", order=6, n=300)],
)
run = uq.run(study, out="runs/ishigami")
for method in ("sobol", "pce"):
    print(run.indices(method=method, output="y")[["S1", "ST"]].to_dataframe().round(3))
print("exact S1: [0.314 0.442 0.   ] ST: [0.558 0.442 0.244]")

# The stored run, opened again: the inputs beside the outputs.
frame = uq.open_run("runs/ishigami").to_dataframe()
print(frame.head(3))
