"""The Python API of issue 18: models as Python objects, the builder's shorthands,
and runs as objects (:mod:`uqscale.runs`, :mod:`uqscale.plot`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr

import uqscale as uq
from uqscale.distributions import FAMILIES
from uqscale.models.codehash import code_hashes
from uqscale.study.shorthand import NAMES

PI = np.pi


def ishigami(x1, x2, x3):
    return {"y": np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)}


def ishigami_study(model=ishigami, n=512, **extra):
    return uq.Study(
        name="ishigami",
        seed=1,
        inputs={n_: uq.Uniform(-PI, PI, units="rad") for n_ in ("x1", "x2", "x3")},
        models=[uq.ModelStep("f", python=model, inputs=["x1", "x2", "x3"], outputs=["y"], **extra)],
        analysis=[uq.Analysis("sobol", n=n, resamples=10)],
        **({"execution": uq.Execution(workers=1)}),
    )


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False) as cluster,
        Client(cluster) as c,
    ):
        yield c


def test_analysis_keywords_equal_the_mapping_form():
    assert uq.Analysis("sobol", n=64) == uq.Analysis("sobol", {"n": 64})
    assert uq.Analysis("sobol", {"n": 8}, n=64).options == {"n": 64}


def test_every_distribution_of_the_study_file_has_a_shorthand():
    assert set(NAMES) == set(FAMILIES)
    for family, name in NAMES.items():
        made = getattr(uq, name)
        assert made.__name__ == name and name in uq.__all__
        params = dict.fromkeys(FAMILIES[family].required, 0.5)
        assert made(**params).distribution == family


def test_shorthand_inputs_equal_the_file_form():
    built = ishigami_study(model="m:f")
    from_file = uq.Study.from_dict(built.to_dict())
    assert built == from_file
    assert built.inputs[0] == uq.UncertainInput(
        "x1", "uniform", {"low": -PI, "high": PI}, units="rad"
    )


def test_a_shorthand_refuses_missing_parameters_like_a_function():
    with pytest.raises(TypeError, match="high"):
        uq.Uniform(0)


def test_every_public_name_is_importable():
    for name in uq.__all__:
        assert getattr(uq, name) is not None
    assert uq.api.resume is uq.api.resume  # README: uqscale.api.resume after import uqscale


@pytest.mark.parametrize(
    "model",
    [
        ishigami,
        lambda x1, x2, x3: ishigami(x1, x2, x3),
        (lambda a: lambda x1, x2, x3: {"y": a * ishigami(x1, x2, x3)["y"]})(1.0),  # closure
    ],
    ids=["function", "lambda", "closure"],
)
def test_python_callables_run_and_give_ishigami_indices(model, client, tmp_path):
    run = uq.run(ishigami_study(model, n=2048, vectorized=True), tmp_path / "r", client=client)
    found = run.indices(method="sobol", output="y")
    # Analytic Ishigami (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244.
    assert np.allclose(found["S1"].values, [0.314, 0.442, 0.0], atol=0.06)
    assert np.allclose(found["ST"].values, [0.558, 0.442, 0.244], atol=0.06)


class Scaled:
    """A callable object with state, run one sample at a time."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x1, x2, x3):
        return {"y": self.factor * (x1 + 2 * x2)}


def test_a_callable_object_runs_and_the_run_reads_back(client, tmp_path):
    run = uq.run(ishigami_study(Scaled(3.0), n=16), tmp_path / "r", client=client, report=False)
    assert isinstance(run, uq.Run)
    opened = uq.open_run(tmp_path / "r")
    for result in (run, opened):
        results = result.results
        assert np.allclose(results["y"], 3.0 * (results["x1"] + 2 * results["x2"]))
        assert results["x1"].attrs["units"] == "rad"
        on_disk = xr.open_dataset(result.directory / "results.nc")
        assert set(on_disk.coords) == {"sample", "x1", "x2", "x3"}
        assert on_disk["x2"].attrs == {
            "distribution": "uniform",
            "low": -PI,
            "high": PI,
            "units": "rad",
        }
        frame = result.to_dataframe()
        assert (
            list(frame.columns) == ["y", "x1", "x2", "x3"] and len(frame) == 16 * 5
        )  # Saltelli: n (d + 2)
        assert result.failures == []
        assert result.indices["study"] == "ishigami"  # indices.json, as before
    xr.testing.assert_allclose(run.indices(), opened.indices())
    assert opened.report().is_file()


def test_an_unknown_analysis_or_output_is_one_clear_error(client, tmp_path):
    run = uq.run(ishigami_study(Scaled(1.0), n=8), tmp_path / "r", client=client, report=False)
    with pytest.raises(uq.UqscaleError, match=r"no analysis 'pce'.*\['sobol'\]"):
        run.indices(method="pce")
    with pytest.raises(uq.UqscaleError, match=r"no output 'z'.*\['y'\]"):
        run.indices(output="z")


def test_plots_return_their_axes(client, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    run = uq.run(ishigami_study(Scaled(1.0), n=16), tmp_path / "r", client=client, report=False)
    ax = run.plot.indices()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x1", "x2", "x3"]
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights[:3], run.indices()["S1"].values)


def test_saving_a_study_with_a_callable_names_the_step(tmp_path):
    with pytest.raises(uq.StudyError, match=r"models\[0\]\.python: step 'f' runs a Python"):
        uq.save_study(ishigami_study(), tmp_path / "s.yaml")


def test_the_code_hash_follows_a_callables_source():
    first = code_hashes(ishigami_study(lambda x1, x2, x3: {"y": x1}))
    second = code_hashes(ishigami_study(lambda x1, x2, x3: {"y": x2}))
    assert list(first) == list(second) and first != second


def test_a_wrong_argument_of_a_callable_names_the_step(client, tmp_path):
    study = ishigami_study(lambda x1, x2: {"y": x1})
    with pytest.raises(uq.UqscaleError, match=r"models\[0\]"):
        uq.run(study, tmp_path / "r", client=client)


def test_the_active_client_is_used(tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, processes=False) as cluster, Client(cluster) as active:
        run = uq.run(ishigami_study(Scaled(1.0), n=8), tmp_path / "r", report=False)
        session = run.results  # ran
        assert session.sizes["sample"] == 40
        where = uq.open_run(tmp_path / "r")
        assert active.scheduler.address in str(
            where.directory.joinpath("provenance.json").read_text()
        )


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import numpy as np, uqscale as uq
            study = uq.Study(name="s", seed=1, inputs={{"x": uq.Uniform(0, 1)}},
                models=[uq.ModelStep("f", python=lambda x: {{"y": 2 * x}}, inputs=["x"],
                                     outputs=["y"], vectorized=True)],
                analysis=[uq.Analysis("sobol", n=8)])
            run = uq.run(study, out={str(tmp_path / "r")!r}, report=False)
            print("S1", float(run.indices()["S1"][0]))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("S1 ") == 1  # the script ran once, not again in workers
    assert float(done.stdout.split()[-1]) == pytest.approx(1.0, abs=0.05)
