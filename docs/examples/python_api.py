"""The Ishigami function through the Python API: a study built in code, run on the
embedded cluster, first and total Sobol' indices read back as xarray."""

import uqscale

study = uqscale.Study.from_dict(
    {
        "study": "ishigami-docs",
        "seed": 1,
        "inputs": {
            name: {"distribution": "uniform", "low": -3.141592653589793, "high": 3.141592653589793}
            for name in ("x1", "x2", "x3")
        },
        "models": [
            {
                "name": "f",
                "python": "uqscale.testfunctions:ishigami",
                "inputs": ["x1", "x2", "x3"],
                "parameters": {"a": 7.0, "b": 0.1},
                "outputs": ["y"],
                "vectorized": True,
            }
        ],
        "analysis": [{"method": "pce", "order": 6, "n": 300}, {"method": "sobol", "n": 1024}],
        "execution": {"workers": 1},
    }
)

if __name__ == "__main__":
    result = uqscale.run(study, "runs/ishigami-docs")
    for method in ("pce", "sobol"):
        indices = result.analyses[method]["y"]
        print(method, "S1:", indices["S1"].round(3).values, "ST:", indices["ST"].round(3).values)
    print("exact S1: [0.314 0.442 0.   ] ST: [0.558 0.442 0.244]")
