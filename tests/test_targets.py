"""Running on a Dask cluster that uqscale did not start: ``--address``, ``--scheduler-file``
and ``uqscale.run(client=...)``, as inside one batch allocation.

The scheduler and the two workers are separate processes started here with the
``dask`` command, as they would be on separate nodes; a worker is killed with SIGKILL
(its whole process group, nanny included, as a node failure would) in the middle of a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import uqscale
from tests.logged_runs import (
    assert_every_sample_stored_once,
    log_times,
    logged_study,
    run_with_fault,
)
from uqscale.errors import UqscaleError
from uqscale.study.files import load_study

DASK = str(Path(sys.executable).with_name("dask"))
TIMEOUT = 60  # any one wait: a broken cluster fails the test, never hangs it


def ishigami_study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(
        textwrap.dedent("""
        study: targets
        seed: 11
        inputs:
          x1: {distribution: uniform, low: -3.14159, high: 3.14159, scale: micro}
          x2: {distribution: uniform, low: -3.14159, high: 3.14159, scale: macro}
          x3: {distribution: uniform, low: -3.14159, high: 3.14159, scale: macro}
        models:
          - {name: f, python: "uqscale.testfunctions:ishigami", inputs: [x1, x2, x3],
             outputs: [y], vectorized: true}
        analysis:
          - {method: sobol, n: 256}
          - {method: pce, order: 4, n: 200}
          - {method: moments}
    """)
    )
    return folder / "study.yaml"


def uqscale_cli(*args, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "uqscale.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started with ``start_new_session`` and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class ExternalCluster:
    """``dask scheduler`` and ``dask worker`` processes, each in its own session."""

    def __init__(
        self, folder: Path, workers: int, worker_args: list[list[str]] | None = None, security=None
    ) -> None:
        """``security``: a ``distributed.Security`` with certificate *files*; the
        scheduler and workers then speak TLS only, with those files."""
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.count = workers
        self.worker_args = worker_args or [[] for _ in range(workers)]
        self.security = security
        self.tls_args = (
            []
            if security is None
            else [
                "--tls-ca-file",
                security.tls_ca_file,
                "--tls-cert",
                security.tls_scheduler_cert,
                "--tls-key",
                security.tls_scheduler_key,
            ]
        )

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        return subprocess.Popen(
            [DASK, *args],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> ExternalCluster:
        from distributed import Client

        self.scheduler = self._start(
            "scheduler",
            "scheduler",
            "--scheduler-file",
            str(self.scheduler_file),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            *self.tls_args,
            *(["--protocol", "tls"] if self.tls_args else []),
        )
        # Workers wait for the scheduler file themselves: start them at once.
        for k in range(self.count):
            self.workers.append(
                self._start(
                    f"worker{k}",
                    "worker",
                    "--scheduler-file",
                    str(self.scheduler_file),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    *self.tls_args,
                    *self.worker_args[k],
                )
            )
        deadline = time.monotonic() + TIMEOUT
        while not self.scheduler_file.is_file():
            assert self.scheduler.poll() is None, (self.folder / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler never wrote its file"
            time.sleep(0.05)
        with Client(
            scheduler_file=str(self.scheduler_file), timeout="30s", security=self.security
        ) as client:
            client.wait_for_workers(self.count, timeout=TIMEOUT)
        return self

    @property
    def address(self) -> str:
        return json.loads(self.scheduler_file.read_text())["address"]

    def worker_process_groups(self) -> dict[int, subprocess.Popen]:
        """Worker process id (where tasks run) -> the worker's process (group) here."""
        from distributed import Client

        by_group = {p.pid: p for p in self.workers}
        with Client(self.address, timeout="30s", security=self.security) as client:
            pids = client.run(os.getpid)
        return {pid: by_group[os.getpgid(pid)] for pid in pids.values()}

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None:
                kill_group(process)


@pytest.fixture
def external(tmp_path):
    cluster = ExternalCluster(tmp_path, workers=2)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def test_address_scheduler_file_and_client_give_the_local_indices(
    tmp_path, external, client, capsys
):
    from distributed import Client

    from uqscale.cli import main

    study_file = ishigami_study(tmp_path / "study")
    local = uqscale.run(load_study(study_file), tmp_path / "local", client=client)

    # The command's own code, in this process (an interpreter start costs seconds).
    assert (
        main(
            [
                "run",
                str(study_file),
                "--out",
                str(tmp_path / "address"),
                "--quiet",
                "--address",
                external.address,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "run",
                str(study_file),
                "--out",
                str(tmp_path / "file"),
                "--quiet",
                "--scheduler-file",
                str(external.scheduler_file),
            ]
        )
        == 0
    )
    assert capsys.readouterr().err == ""

    with Client(scheduler_file=str(external.scheduler_file), timeout="30s") as remote:
        by_client = uqscale.run(load_study(study_file), tmp_path / "client", client=remote)

    reference = json.loads((tmp_path / "local" / "indices.json").read_text())
    assert reference["outputs"]["y"]["sobol"]["ST"]["x1"] > 0.3  # a real result
    for name in ("address", "file", "client"):
        folder = tmp_path / name
        assert json.loads((folder / "indices.json").read_text()) == reference, name
        xr.testing.assert_identical(xr.load_dataset(folder / "results.nc"), local.results.load())
        # ... and it ran on the external cluster, not on a cluster of its own.
        where = json.loads((folder / "provenance.json").read_text())["sessions"][-1]["cluster"]
        assert where["scheduler"] == external.address and where["workers"] == 2, where
    assert by_client.indices == local.indices


def test_a_worker_killed_mid_run_loses_no_sample(tmp_path, external):
    samples, delay = 80, 0.03
    folder = tmp_path / "study"
    study_file = logged_study(folder, "killed-worker", 5, samples, delay)
    run_dir = tmp_path / "run"
    groups = external.worker_process_groups()
    victim_log = None

    def kill_a_worker() -> None:
        nonlocal victim_log
        victim_log = sorted((folder / "calls").glob("*.log"))[0]
        victim_pid = int(victim_log.stem.split("-")[1])
        kill_group(groups[victim_pid])  # worker and nanny: the node is gone

    # Once both workers have evaluated samples and a batch is stored.
    killed_at = run_with_fault(
        [
            sys.executable,
            "-m",
            "uqscale.cli",
            "run",
            str(study_file),
            "--out",
            str(run_dir),
            "--quiet",
            "--scheduler-file",
            str(external.scheduler_file),
        ],
        run_dir,
        lambda: len(list((folder / "calls").glob("*.log"))) == 2,
        kill_a_worker,
        TIMEOUT,
        cwd=tmp_path,
    )

    # Killed mid-run: it was taking work, work was left, and the surviving worker did it.
    assert log_times(victim_log)[-1] > killed_at - 1.0  # still taking work
    # (the survivor's own calls, and those of the forked children in which crash
    # isolation reruns the batches the dead worker held)
    survivors = [p for p in (folder / "calls").glob("*.log") if p != victim_log]
    assert max(t for log in survivors for t in log_times(log)) > killed_at + delay

    design = assert_every_sample_stored_once(run_dir, samples)
    assert json.loads((run_dir / "indices.json").read_text())["failed"] == 0
    calls = [
        float(line.split()[0])
        for log in (folder / "calls").glob("*.log")
        for line in log.read_text().splitlines()
    ]
    assert set(calls) == set(design["x1"].values)  # every sample was evaluated


def test_unknown_profile_is_one_line_exit_2_naming_the_field(tmp_path, capsys):
    from uqscale.cli import main

    study_file = ishigami_study(tmp_path / "study")
    done = uqscale_cli(
        "run",
        study_file,
        "--out",
        tmp_path / "run",
        "--cluster",
        "slurm",
        "--profile",
        "nosuch",
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        "error: execution.profile: no profile 'nosuch' in cluster/profiles/ of the study's folder"
    ), lines[0]
    assert not (tmp_path / "run").exists()  # nothing ran, nothing is left
    # A profile is checked whatever the cluster kind (here the default, local).
    assert (
        main(["run", str(study_file), "--out", str(tmp_path / "run"), "--profile", "nosuch"]) == 2
    )
    assert capsys.readouterr().err.startswith("error: execution.profile: no profile 'nosuch'")
    assert not (tmp_path / "run").exists()


def test_address_cluster_without_an_address_is_one_line(tmp_path):
    study_file = ishigami_study(tmp_path / "study")
    done = uqscale_cli(
        "run", study_file, "--out", tmp_path / "run", "--cluster", "address", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr == "error: --address: is required when execution.cluster is address\n"
    assert not (tmp_path / "run").exists()


def test_a_bad_scheduler_file_is_one_clear_error(tmp_path, monkeypatch):
    from uqscale.execute import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 0.3)
    garbage = tmp_path / "scheduler.json"
    garbage.write_text("not json")
    for path, problem in (
        (tmp_path / "missing.json", "it does not exist"),
        (garbage, "it is not a scheduler file"),
    ):
        execution = uqscale.Execution(cluster="scheduler_file", scheduler_file=str(path))
        with (
            pytest.raises(UqscaleError, match=f"^scheduler file {path}: {problem}"),
            cluster.open_client(execution),
        ):
            pass


def test_environment_overrides_the_profile(tmp_path, monkeypatch):
    from uqscale.execute.cluster import profile_config

    profile = tmp_path / "site.yaml"
    profile.write_text("jobqueue:\n  pbs:\n    interface: null\n    queue: short\n")
    monkeypatch.setenv("DASK_JOBQUEUE__PBS__INTERFACE", "lo")
    execution = uqscale.Execution(cluster="pbs", profile=str(profile))
    assert profile_config(execution, None) == {
        "jobqueue.pbs.interface": "lo",
        "jobqueue.pbs.queue": "short",
    }


STAGED_MODEL = """
import os

import numpy as np


def micro(x1):
    return {"m": 2 * np.asarray(x1), "micro_pid": np.full(len(x1), float(os.getpid()))}


def macro(m, x2):
    return {"y": np.asarray(m) + np.asarray(x2),
            "macro_pid": np.full(len(m), float(os.getpid()))}
"""


def test_steps_run_on_the_workers_that_have_their_resources(tmp_path):
    from distributed import Client

    cluster = ExternalCluster(
        tmp_path, workers=2, worker_args=[["--resources", "CELL=1"], ["--resources", "GPU=1"]]
    )
    try:
        cluster.start()
        folder = tmp_path / "study"
        folder.mkdir()
        (folder / "staged_uq.py").write_text(STAGED_MODEL)
        (folder / "study.yaml").write_text(
            textwrap.dedent("""
            study: staged
            inputs:
              x1: {distribution: uniform, low: 0, high: 1, scale: micro}
              x2: {distribution: uniform, low: 0, high: 1, scale: macro}
            models:
              - {name: cell, python: "staged_uq:micro", inputs: [x1],
                 outputs: [m, micro_pid], vectorized: true, resources: {CELL: 1}}
              - {name: tissue, python: "staged_uq:macro", inputs: [m, x2],
                 outputs: [y, macro_pid], vectorized: true, resources: {GPU: 1}}
            analysis: [{method: moments, n: 64}]
            execution: {batch_size: 8}
        """)
        )
        with Client(cluster.address, timeout="30s") as client:
            pids = client.run(os.getpid)
            pid_of = {
                next(iter(w["resources"])): pids[address]
                for address, w in client.scheduler_info()["workers"].items()
            }
            result = uqscale.run(load_study(folder / "study.yaml"), tmp_path / "run", client=client)
        assert set(result.results["micro_pid"].values) == {pid_of["CELL"]}
        assert set(result.results["macro_pid"].values) == {pid_of["GPU"]}
        np.testing.assert_allclose(
            result.results["y"].values, 2 * result.design["x1"].values + result.design["x2"].values
        )
    finally:
        cluster.stop()


def test_opening_a_cluster_keeps_the_launchers_dask_config(tmp_path):
    # Setting profile keys before distributed/dask_jobqueue loaded their defaults would
    # drop those defaults from this process when the run ends.
    import dask

    from uqscale.execute.cluster import open_client

    profile = tmp_path / "profile.yaml"
    profile.write_text("distributed:\n  worker:\n    profile:\n      interval: 20ms\n")
    with open_client(uqscale.Execution(workers=1, profile=str(profile))) as local:
        assert local.run(lambda: dask.config.get("distributed.worker.profile.interval"))
    assert dask.config.get("distributed.worker.profile.interval") == "10ms"
    assert dask.config.get("distributed.scheduler.work-stealing") is True
