"""TLS on the clusters uqscale starts or reaches.

The embedded LocalCluster speaks TLS with a certificate made for the run: a client
without TLS, or with a certificate of its own, cannot connect to the scheduler or a
worker, let alone run code there; the launcher can, and runs give the indices of a run
on a plain cluster. ``--address`` reaches a TLS scheduler with the certificates that
dask config names (``distributed.comm.tls.*``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import uqscale
from tests.test_targets import ExternalCluster, ishigami_study, uqscale_cli
from uqscale.execute.cluster import open_client
from uqscale.study.files import load_study

INTRUDER = """
import os, sys
from distributed import Client
from distributed.security import Security
security = Security.temporary() if sys.argv[2] == "foreign" else None
with Client(sys.argv[1], security=security, timeout="3s") as intruder:
    intruder.run(os.getpid)
"""
"""Connect to ``argv[1]`` (with a certificate of its own when ``argv[2]`` says
``foreign``) and run code on every worker: exit status 0 only if that worked."""


def intruder_gets_in(address: str, certificate: str = "none") -> bool:
    """Whether another process, without the run's certificate, connects to ``address``
    and runs code there. In a process of its own, so that a handshake that fails by
    hanging (seen in CI) counts as refused instead of hanging the test."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", INTRUDER, address, certificate], capture_output=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def test_only_the_launcher_reaches_the_embedded_cluster():
    with open_client(uqscale.Execution(workers=1)) as client:
        scheduler = client.scheduler.address
        workers = list(client.scheduler_info()["workers"])
        assert scheduler.startswith("tls://127.0.0.1:")
        assert workers and all(w.startswith("tls://127.0.0.1:") for w in workers)
        assert len(client.run(os.getpid)) == 1  # the launcher runs code there

        for target in (scheduler, *workers):
            assert not intruder_gets_in(target.replace("tls://", "tcp://"))  # no TLS at all
            assert not intruder_gets_in(target)  # TLS, but no certificate
            assert not intruder_gets_in(target, "foreign")  # someone else's certificate
        # The cluster is still serving the launcher after the attempts.
        assert client.submit(sum, [1, 2, 3]).result(timeout=30) == 6


@pytest.mark.slow
def test_a_tls_run_gives_the_indices_of_a_plain_cluster(tmp_path, client):
    study = load_study(ishigami_study(tmp_path / "study"))
    plain = uqscale.run(study, tmp_path / "plain", client=client)
    assert client.scheduler.address.startswith("tcp://")
    secured = uqscale.run(study, tmp_path / "tls", in_process=False)  # the TLS cluster
    provenance = json.loads((tmp_path / "tls" / "provenance.json").read_text())
    assert json.dumps(provenance).count('"tls://127.0.0.1:') >= 1
    assert secured.indices == plain.indices


def certificate_files(folder: Path, security) -> dict[str, str]:
    """Write a temporary certificate to PEM files; returns role-less file names."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, text in (
        ("ca", security.tls_ca_file),
        ("cert", security.tls_client_cert),
        ("key", security.tls_client_key),
    ):
        path = folder / f"{name}.pem"
        path.write_text(text)
        path.chmod(0o600)
        files[name] = str(path)
    return files


@pytest.mark.slow
def test_address_reaches_a_tls_scheduler_with_dask_configs_certificates(tmp_path):
    from distributed.security import Security

    files = certificate_files(tmp_path / "tls", Security.temporary())
    security = Security(
        tls_ca_file=files["ca"],
        tls_client_cert=files["cert"],
        tls_client_key=files["key"],
        tls_scheduler_cert=files["cert"],
        tls_scheduler_key=files["key"],
        require_encryption=True,
    )
    cluster = ExternalCluster(tmp_path, workers=1, security=security)
    study_file = ishigami_study(tmp_path / "study")
    try:
        cluster.start()
        address = cluster.address
        assert address.startswith("tls://")
        # Without the certificates: one line, exit 1, nothing left behind.
        refused = uqscale_cli(
            "run", study_file, "--out", tmp_path / "refused", "--address", address, cwd=tmp_path
        )
        assert refused.returncode == 1, refused.stderr
        (line,) = refused.stderr.splitlines()
        assert line.startswith(f"error: cannot reach the Dask scheduler at {address}"), line
        assert "distributed.comm.tls.ca-file" in line
        # With them, through the environment's dask config.
        tls_config = {
            "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": files["ca"],
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": files["cert"],
            "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": files["key"],
        }
        done = uqscale_cli(
            "run",
            study_file,
            "--out",
            tmp_path / "run",
            "--address",
            address,
            "--quiet",
            cwd=tmp_path,
            env={**os.environ, **tls_config},
        )
        assert done.returncode == 0, done.stderr
        # ... and through a scheduler file, the same.
        again = uqscale_cli(
            "run",
            study_file,
            "--out",
            tmp_path / "again",
            "--scheduler-file",
            cluster.scheduler_file,
            "--quiet",
            cwd=tmp_path,
            env={**os.environ, **tls_config},
        )
        assert again.returncode == 0, again.stderr
    finally:
        cluster.stop()
    indices = json.loads((tmp_path / "run" / "indices.json").read_text())
    assert indices == json.loads((tmp_path / "again" / "indices.json").read_text())
    local = uqscale.run(load_study(study_file), tmp_path / "local")
    assert indices == local.indices
