"""Stored PCE surrogates (issue 18 point 4, issue 23's ``serve --surrogate``): the
expansion in ``analyses.nc`` rebuilt without the study, checked against exact
polynomials, an independent least-squares fit, a fresh process and the real
UM-Bridge client."""

from __future__ import annotations

import shutil
import subprocess
import sys

import chaospy
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import uqscale as uq
from uqscale.cli import main

GRID = (0.0, 0.5, 1.0)


def cubic(x1, x2):
    """A polynomial of degree 3: an order-3 expansion holds it exactly."""
    return {"y": 1 + 2 * x1 - 0.5 * x2**2 + 3 * x1 * x2**2}


def field(x1, x2):
    """A field over ``s``: at each point a polynomial of degree 2."""
    s = np.asarray(GRID)
    return {"u": x1[:, None] * s + x2[:, None] ** 2 * (1 - s)}


def wavy(x1, x2):
    """No polynomial: the fit leaves residuals."""
    return {"y": np.sin(2 * x1) + np.exp(0.3 * x2)}


def study(model, outputs=("y",), **pce):
    return uq.Study(
        name="poly",
        seed=3,
        inputs={"x1": uq.Uniform(-1, 2), "x2": uq.Normal(0.5, 2)},
        models=[
            uq.ModelStep(
                "f", python=model, inputs=["x1", "x2"], outputs=list(outputs), vectorized=True
            )
        ],
        analysis=[uq.Analysis("pce", **({"order": 3, "bootstrap": 0, "convergence": False} | pce))],
        execution=uq.Execution(workers=1),
    )


@pytest.fixture(scope="module")
def cubic_run(client, tmp_path_factory):
    return uq.run(
        study(cubic), tmp_path_factory.mktemp("cubic") / "run", client=client, report=False
    )


POINTS = {"x1": np.array([-0.9, 0.3, 1.7, 5.0]), "x2": np.array([-3.0, 0.5, 1.5, 7.0])}


@pytest.mark.parametrize("design", ["regression", "quadrature"])
def test_the_surrogate_of_a_polynomial_is_the_polynomial(design, client, tmp_path):
    run = uq.run(study(cubic, design=design), tmp_path / "r", client=client, report=False)
    predicted = run.surrogate("y")(**POINTS)
    assert np.allclose(predicted.values, cubic(**POINTS)["y"], rtol=1e-9, atol=1e-9)
    # Mean of the exact cubic: E[1 + 2 x1 - x2^2 / 2 + 3 x1 x2^2], x2^2 mean 0.25 + 4.
    exact_mean = 1 + 2 * 0.5 - 0.5 * 4.25 + 3 * 0.5 * 4.25
    assert float(run.surrogate("y").coefficients[0]) == pytest.approx(exact_mean, rel=1e-9)


def test_a_field_surrogate_keeps_its_dims(client, tmp_path):
    spec = uq.OutputSpec("u", dims=("s",), coords={"s": GRID})
    run = uq.run(
        study(field, outputs=(spec,), order=2), tmp_path / "r", client=client, report=False
    )
    predicted = run.surrogate("u")(**POINTS)
    assert predicted.dims == ("point_0", "s") and list(predicted["s"].values) == list(GRID)
    assert np.allclose(predicted.values, field(**POINTS)["u"], atol=1e-9)


def test_the_surrogate_reproduces_the_training_fit(client, tmp_path):
    run = uq.run(study(wavy, solver="ols"), tmp_path / "r", client=client, report=False)
    x = {n: run.design[n].values for n in ("x1", "x2")}
    # An independent fit: chaospy's orthonormal basis, numpy's least squares.
    joint = chaospy.J(chaospy.Uniform(-1, 2), chaospy.Normal(0.5, 2))
    basis = chaospy.generate_expansion(3, joint, normed=True)
    matrix = basis(x["x1"], x["x2"]).T
    y = run.results["y"].values
    expected = matrix @ np.linalg.lstsq(matrix, y, rcond=None)[0]
    assert np.allclose(run.surrogate("y")(**x).values, expected, rtol=1e-9, atol=1e-9)
    assert not np.allclose(expected, y, atol=1e-3)  # a fit, not the data


def test_dask_arrays_give_a_lazy_prediction(cubic_run):
    import dask.array as da

    lazy = cubic_run.surrogate("y")(**{n: da.from_array(v, chunks=2) for n, v in POINTS.items()})
    assert lazy.chunks is not None
    xr.testing.assert_allclose(lazy.compute(), cubic_run.surrogate("y")(**POINTS))


def test_a_missing_input_or_output_is_one_clear_error(cubic_run):
    with pytest.raises(uq.UqscaleError, match=r"missing \['x2'\]"):
        cubic_run.surrogate("y")(x1=POINTS["x1"])
    with pytest.raises(uq.UqscaleError, match="no PCE analysis fitted output 'z'"):
        cubic_run.surrogate("z")


def test_the_surrogate_loads_in_a_fresh_process_from_analyses_nc_alone(cubic_run, tmp_path):
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(cubic_run.directory / "analyses.nc", alone)
    code = (
        "import sys; from uqscale.surrogate import load_surrogate; "
        "s = load_surrogate(sys.argv[1], 'y'); print(repr(float(s(x1=[1.25], x2=[-0.5])[0])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(alone)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(cubic(1.25, -0.5)["y"], rel=1e-12)


@pytest.mark.parametrize("suffix", [".csv", ".nc"])
def test_predict_writes_the_predictions_of_a_file(cubic_run, tmp_path, suffix):
    points = pd.DataFrame(POINTS)
    given = tmp_path / f"points{suffix}"
    if suffix == ".csv":
        points.to_csv(given, index=False)
    else:
        xr.Dataset({n: ("row", v) for n, v in POINTS.items()}).to_netcdf(given, engine="h5netcdf")
    out = tmp_path / f"out{suffix}"
    argv = ["predict", str(cubic_run.directory), "--output", "y", "--inputs", str(given)]
    assert main([*argv, "--out", str(out)]) == 0
    written = pd.read_csv(out) if suffix == ".csv" else xr.load_dataset(out).to_dataframe()
    assert np.allclose(written["y"], cubic(**POINTS)["y"])
    assert np.allclose(written["x1"], POINTS["x1"])


def test_predict_names_a_missing_column(cubic_run, tmp_path, capsys):
    given = tmp_path / "points.csv"
    pd.DataFrame({"x1": [0.0]}).to_csv(given, index=False)
    argv = ["predict", str(cubic_run.directory), "--output", "y", "--inputs", str(given)]
    assert main(argv) == 1
    assert "no column 'x2'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_umbridge_client_calls_a_served_surrogate(cubic_run):
    umbridge = pytest.importorskip("umbridge")
    from tests.test_umbridge import free_port, start, stop

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["-m", "uqscale.cli", "serve", str(cubic_run.directory), "--surrogate", "y"]
    process = start([*args, "--port", str(port)], url)
    try:
        model = umbridge.HTTPModel(url, "y")
        assert model.get_input_sizes() == [2] and model.get_output_sizes() == [1]
        assert model([[1.25, -0.5]])[0][0] == pytest.approx(cubic(1.25, -0.5)["y"], rel=1e-12)
    finally:
        stop(process)
