"""UM-Bridge both ways, with the real ``umbridge`` package: models served by
tests/umbridge_server.py used as study steps, and ``uqscale serve`` called by
``umbridge.HTTPModel``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import uqscale
from uqscale.api import resume
from uqscale.cli import main
from uqscale.design import build_design, design_columns
from uqscale.errors import StudyError
from uqscale.models.evaluate import Pipeline, evaluate_batch

umbridge = pytest.importorskip("umbridge")
requests = pytest.importorskip("requests")

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "umbridge_server.py"
START_SECONDS = 30.0
UNIFORM = {"distribution": "uniform", "low": 0.0, "high": 1.0}
PI_BOX = {"distribution": "uniform", "low": -np.pi, "high": np.pi}
ISHIGAMI_PARAMETERS = {"a": 5.0, "b": 0.3}  # not the server's defaults: config must travel


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(args: list[str], url: str) -> subprocess.Popen:
    """Start a server process and wait until ``url/Info`` answers."""
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read()}")
        try:
            requests.get(f"{url}/Info", timeout=1).raise_for_status()
            return process
        except requests.RequestException:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"no server at {url} after {START_SECONDS} s")


def stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()
    process.stdout.close()


def serve_test_models(port: int, *extra: str) -> tuple[str, subprocess.Popen]:
    url = f"http://127.0.0.1:{port}"
    return url, start([str(SERVER), str(port), *extra], url)


@pytest.fixture(scope="module")
def server():
    """URL of tests/umbridge_server.py's models, served for this module."""
    url, process = serve_test_models(free_port())
    yield url
    stop(process)


def ishigami_study(model: dict, n: int = 32) -> uqscale.Study:
    """Ishigami through ``model`` (a python or umbridge step), Sobol' on ``n`` samples."""
    return uqscale.Study.from_dict(
        {
            "study": "ishigami_um",
            "seed": 11,
            "inputs": {"x1": PI_BOX, "x2": PI_BOX, "x3": PI_BOX},
            "models": [
                {
                    "name": "ishigami",
                    **model,
                    "inputs": ["x1", "x2", "x3"],
                    "outputs": ["y"],
                    "parameters": ISHIGAMI_PARAMETERS,
                }
            ],
            "analysis": [{"method": "sobol", "n": n}, {"method": "pce", "order": 4, "n": 60}],
            "execution": {"batch_size": 16},
        }
    )


@pytest.fixture(scope="module")
def reference(client, tmp_path_factory):
    """The Ishigami study run with its Python model, on the shared cluster."""
    return uqscale.run(
        ishigami_study({"python": "uqscale.testfunctions:ishigami"}),
        tmp_path_factory.mktemp("python") / "run",
        client=client,
    )


def umbridge_step(url: str, name: str, **options) -> dict:
    return {"umbridge": {"url": url, "name": name, **options}}


def single_input_study(url: str, name: str, **step) -> uqscale.Study:
    return uqscale.Study.from_dict(
        {
            "study": name,
            "seed": 2,
            "inputs": {"x": UNIFORM},
            "models": [
                {
                    "name": "m",
                    **umbridge_step(url, name, **step.pop("umbridge", {})),
                    "inputs": ["x"],
                    "outputs": ["y"],
                    **step,
                }
            ],
            "analysis": [{"method": "moments", "n": 10}],
        }
    )


def evaluate(study: uqscale.Study, **columns: np.ndarray):
    pipeline = Pipeline.from_study(study)
    return evaluate_batch(pipeline, 0, columns)


# --- the study file -----------------------------------------------------------------------


def test_umbridge_step_file_form_round_trips_and_bad_fields_name_themselves():
    study = ishigami_study(umbridge_step("http://localhost:4242", "forward", concurrency=3))
    assert study.models[0].kind == "umbridge"
    assert uqscale.Study.from_dict(study.to_dict()) == study
    assert study.to_dict()["models"][0]["umbridge"] == {
        "url": "http://localhost:4242",
        "name": "forward",
        "concurrency": 3,
    }
    cases = [
        ({"url": "localhost:4242", "name": "f"}, r"models\[0\]\.umbridge\.url: must be"),
        (
            {"url": "http://h", "name": "f", "concurrency": 0},
            r"models\[0\]\.umbridge\.concurrency: must be at least 1",
        ),
        ({"url": "http://h"}, r"models\[0\]\.umbridge\.name: is required"),
        ({"url": "http://h", "name": "f", "port": 1}, r"models\[0\]\.umbridge\.port"),
    ]
    for entry, message in cases:
        with pytest.raises(StudyError, match=message):
            ishigami_study({"umbridge": entry})
    with pytest.raises(StudyError, match=r"^models\[0\]\.python: does not apply"):
        ishigami_study({**umbridge_step("http://h", "f"), "python": "a:b"})


# --- uqscale using a UM-Bridge server -------------------------------------------------------


@pytest.mark.slow
def test_study_on_a_umbridge_server_gives_the_in_process_indices(
    server, client, reference, tmp_path
):
    served = uqscale.run(
        ishigami_study(umbridge_step(server, "ishigami")), tmp_path / "umbridge", client=client
    )
    assert not reference.failures and not served.failures
    # JSON carries every float exactly: the same outputs, hence the same indices.
    np.testing.assert_array_equal(served.results["y"].values, reference.results["y"].values)
    assert json.dumps(served.indices, sort_keys=True) == json.dumps(
        reference.indices, sort_keys=True
    )


def test_validate_checks_the_model_against_the_running_server(server, tmp_path, capsys):
    two_inputs = ishigami_study(umbridge_step(server, "ishigami")).to_dict()
    two_inputs["models"][0]["inputs"] = ["x1", "x2"]
    two_inputs["models"][0]["parameters"] = {"x3": 0.0}
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(two_inputs))
    assert main(["validate", str(path)]) == 2
    error = capsys.readouterr().err
    assert error == (
        "error: models[0].inputs: step 'ishigami' has 2 inputs but model "
        "'ishigami' takes 3 numbers (input sizes [3])\n"
    )
    with pytest.raises(
        StudyError,
        match=r"models\[0\]\.umbridge\.name: step 'ishigami': "
        r".* serves no model 'nope' \(it serves: ishigami, ",
    ):
        Pipeline.from_study(ishigami_study(umbridge_step(server, "nope"))).check()
    fields = single_input_study(server, "fidelity")
    with pytest.raises(
        StudyError,
        match=r"^models\[0\]\.outputs: step 'm' declares 1 outputs "
        r"but model 'fidelity' gives 2 output vectors",
    ):
        Pipeline.from_study(fields).check()


def test_validate_with_the_server_down_warns_in_one_line(tmp_path, capsys):
    path = tmp_path / "study.yaml"
    down = f"http://127.0.0.1:{free_port()}"
    path.write_text(yaml.safe_dump(ishigami_study(umbridge_step(down, "ishigami")).to_dict()))
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "is valid" in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"warning: models[0].umbridge: step 'ishigami': the UM-Bridge server at {down} "
        f"does not answer"
    )


def test_http_errors_timeouts_and_nonfinite_results_fail_only_their_samples(server):
    # faulty: x < 0.1 raises, [0.1, 0.2) gives NaN, [0.2, 0.3) answers after 5 s; else 2 x.
    x = np.arange(0.05, 1.0, 0.1)
    batch = evaluate(single_input_study(server, "faulty", timeout=1.0), x=x)
    kinds = {f.sample: f.error for f in batch.failures}
    assert kinds == {0: "UmbridgeHTTPError", 1: "NonFiniteOutput", 2: "UmbridgeTimeout"}
    assert "HTTP 500" in batch.failures[0].message
    np.testing.assert_array_equal(batch.outputs["y"][3:], 2 * x[3:])
    assert np.isnan(batch.outputs["y"][:3]).all()


def test_a_refused_connection_is_retried_with_backoff_then_fails_the_sample():
    down = f"http://127.0.0.1:{free_port()}"
    study = single_input_study(down, "faulty", umbridge={"connect_retries": 2})
    began = time.perf_counter()
    batch = evaluate(study, x=np.array([0.5, 0.6]))
    waited = time.perf_counter() - began
    assert [f.error for f in batch.failures] == ["UmbridgeConnectionError"] * 2
    assert all("no connection after 3 attempts" in f.message for f in batch.failures)
    assert waited >= 0.5 + 1.0  # the two backoffs, taken by both samples at once


def test_a_worker_keeps_concurrency_evaluations_in_flight(server):
    # inflight answers with the most evaluations it saw running at once.
    batch = evaluate(
        single_input_study(server, "inflight", umbridge={"concurrency": 4}), x=np.full(8, 0.5)
    )
    assert not batch.failures
    assert batch.outputs["y"].max() == 4


def test_a_resolution_sweep_sets_the_model_config(server):
    study = uqscale.Study.from_dict(
        {
            "study": "fidelity",
            "seed": 3,
            "inputs": {"x": UNIFORM},
            "models": [
                {
                    "name": "m",
                    **umbridge_step(server, "fidelity"),
                    "inputs": ["x"],
                    "parameters": {"dx": 1.0},
                    "outputs": ["y", {"name": "u", "dims": ["t"], "coords": {"t": [0, 1, 2]}}],
                }
            ],
            "analysis": [{"method": "pce", "order": 1, "n": 8}],
            "resolution": {"parameter": "dx", "values": [0.1, 0.2, 0.4]},
        }
    )
    Pipeline.from_study(study).check()
    design = build_design(study)
    batch = evaluate(study, **{n: design[n].values for n in design_columns(study)})
    assert not batch.failures
    x, dx = design["x"].values, design["dx"].values
    assert sorted(set(dx)) == [0.1, 0.2, 0.4]
    np.testing.assert_array_equal(batch.outputs["y"], x + dx**2)
    np.testing.assert_array_equal(batch.outputs["u"], x[:, None] * np.arange(3))


@pytest.mark.slow
def test_a_server_dying_mid_run_loses_no_sample_and_the_run_resumes(client, reference, tmp_path):
    port = free_port()
    url, dying = serve_test_models(port, "--die-after", "40")
    study = ishigami_study(umbridge_step(url, "ishigami", connect_retries=0))
    try:
        first = uqscale.run(study, tmp_path / "run", client=client)
    finally:
        stop(dying)
    lost = {f.sample for f in first.failures}
    assert lost and {f.error for f in first.failures} == {"UmbridgeConnectionError"}
    stored = first.results["y"].values.copy()
    done = np.isfinite(stored)
    assert done.sum() >= 40 - 2 * 8 and done.sum() + len(lost) == len(stored)
    url, back = serve_test_models(port)
    try:
        resumed = resume(tmp_path / "run", client=client)  # connection errors are retried
    finally:
        stop(back)
    assert not resumed.failures and resumed.ran == len(lost)
    np.testing.assert_array_equal(resumed.results["y"].values[done], stored[done])
    np.testing.assert_array_equal(resumed.results["y"].values, reference.results["y"].values)


# --- uqscale serving a study --------------------------------------------------------------


def chain_study(tmp_path: Path, model: str = "tests.models.chain:macro") -> Path:
    path = tmp_path / "chain.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "study": "chain",
                "seed": 1,
                "inputs": {"x1": UNIFORM, "x2": UNIFORM, "x3": UNIFORM},
                "models": [
                    {
                        "name": "micro",
                        "python": "tests.models.chain:micro",
                        "inputs": ["x1", "x2"],
                        "outputs": ["m"],
                    },
                    {"name": "macro", "python": model, "inputs": ["m", "x3"], "outputs": ["y"]},
                ],
                "analysis": [{"method": "sobol", "n": 32}],
            }
        )
    )
    return path


def serve_study(path: Path, *options: str) -> tuple[str, subprocess.Popen]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    return url, start(["-m", "uqscale.cli", "serve", str(path), "--port", str(port), *options], url)


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (Linux /proc)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


@pytest.mark.slow
def test_the_umbridge_client_calls_uqscale_serve(tmp_path):
    url, process = serve_study(chain_study(tmp_path), "--workers", "2")
    try:
        model = umbridge.HTTPModel(url, "chain")
        assert model.get_input_sizes() == [3] and model.get_output_sizes() == [1]
        assert model.supports_evaluate() and not model.supports_gradient()
        x1, x2, x3 = 0.25, 0.5, 0.8
        assert model([[x1, x2, x3]]) == [[(x1 + 2 * x2) * x3]]
        with pytest.raises(Exception, match="InvalidInput"):
            model([[x1, x2]])
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        # uqscale on both ends: a study whose step is the served study.
        chained = uqscale.Study.from_dict(
            {
                "study": "chained",
                "inputs": {"x1": UNIFORM, "x2": UNIFORM, "x3": UNIFORM},
                "models": [
                    {
                        "name": "remote",
                        **umbridge_step(url, "chain"),
                        "inputs": ["x1", "x2", "x3"],
                        "outputs": ["y"],
                    }
                ],
                "analysis": [{"method": "moments", "n": 8}],
            }
        )
        x = np.random.default_rng(4).random((3, 8))
        batch = evaluate(chained, x1=x[0], x2=x[1], x3=x[2])
        np.testing.assert_array_equal(batch.outputs["y"], (x[0] + 2 * x[1]) * x[2])
    finally:
        stop(process)


@pytest.mark.slow
def test_a_failing_sample_of_a_served_study_is_an_http_error_with_its_message(tmp_path):
    study = yaml.safe_load(chain_study(tmp_path).read_text())
    study["models"] = [
        {
            "name": "flaky",
            "python": "tests.models.flaky:per_sample",
            "inputs": ["x1", "x2"],
            "outputs": ["y"],
        }
    ]
    path = tmp_path / "flaky.yaml"
    path.write_text(yaml.safe_dump(study))
    url, process = serve_study(path, "--name", "flaky")
    try:
        model = umbridge.HTTPModel(url, "flaky")
        assert model([[0.5, 0.5, 0.0]]) == [[0.25]]
        with pytest.raises(
            Exception,
            match=r"RuntimeError: step 'flaky': solver diverged "
            r"at x1=0.900",
        ):
            model([[0.9, 0.5, 0.0]])
        with pytest.raises(
            Exception,
            match=r"NonFiniteOutput: step 'flaky': output 'y' is "
            r"not finite",
        ):
            model([[0.05, 0.5, 0.0]])
    finally:
        stop(process)


def test_serve_refuses_an_unknown_step_and_a_taken_port_in_one_line(tmp_path, capsys):
    path = chain_study(tmp_path)
    assert main(["serve", str(path), "--step", "mezzo"]) == 2
    assert capsys.readouterr().err == (
        "error: --step: 'mezzo' is not a step of study 'chain' (steps: micro, macro)\n"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(path), "--port", str(port)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert len(error.splitlines()) == 1


def test_served_step_and_its_config_are_checked(tmp_path):
    from aiohttp import web

    from uqscale.serve import StudyModel

    study = uqscale.load_study(chain_study(tmp_path))
    micro = StudyModel(study, "micro")
    assert [m.name for m in micro.study.models] == ["micro"]
    assert micro([[0.25, 0.5, 0.75]]) == [[1.25]]
    with pytest.raises(web.HTTPBadRequest) as refused:
        micro([[0.25, 0.5, 0.75]], {"dx": 0.1})
    assert "config key 'dx' is no parameter of the served steps" in refused.value.text
