"""Parameter estimation by ensemble data assimilation: a drug's elimination rate
learnt from noisy plasma concentrations, one measurement a cycle."""

import numpy as np

import uqscale as uq
from uqscale.study import Assimilate

TIMES = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]


def plasma(rate, volume):
    """One-compartment IV bolus of 100 mg: C(t) = 100 / V exp(-k t)."""
    return {"conc": 100.0 / volume * np.exp(-rate * np.asarray(TIMES))}


# A hidden "true patient" measured at 2, 4, 6 and 8 h with a 5% error.
truth = {"rate": 0.3, "volume": 12.0}
noise = np.random.default_rng(1).standard_normal(4)
with open("plasma.csv", "w") as csv:
    csv.write("time,quantity,value,error_sd\n")
    for t, e in zip([2.0, 4.0, 6.0, 8.0], noise, strict=True):
        c = 100.0 / truth["volume"] * np.exp(-truth["rate"] * t)
        csv.write(f"{t},plasma,{c * (1 + 0.05 * e)},{0.05 * c}\n")

study = uq.Study(
    name="bolus_twin",
    seed=3,
    inputs={"rate": uq.LogNormal(np.log(0.2), 0.5), "volume": uq.LogNormal(np.log(10), 0.3)},
    models=[
        uq.ModelStep(
            "plasma",
            python=plasma,
            inputs=["rate", "volume"],
            outputs=[uq.OutputSpec("conc", dims=("time",), coords={"time": TIMES})],
        )
    ],
    execution=uq.Execution(workers=2),
    assimilate=Assimilate("plasma.csv", {"plasma": "conc"}, members=30, truth=truth),
)
run = uq.run(study, out="runs/bolus_twin", report=False)

data = run.assimilation
for k, t in enumerate(data["time"].values):
    rate = data["parameters_analysis"].sel(parameter="rate").values[k]
    print(f"after t = {t:g} h: rate {rate.mean():.3f} +- {rate.std(ddof=1):.3f} (true 0.3)")
print("normalised innovations:", np.round(data["normalised_innovation"].values, 2))
print("indices.json:", {k: run.indices["assimilation"][k] for k in ("against", "rmse_mean")})
