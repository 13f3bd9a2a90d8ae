"""What the SLURM tests share: skip without a usable SLURM, fail under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

PROFILES = Path(str(resources.files("uqscale.execute.profiles")))
"""The packaged dask-jobqueue profiles, ``KIND.yaml``."""
SINGLE_NODE = {"DASK_JOBQUEUE__SLURM__INTERFACE": "lo"}
"""The environment that points the packaged (site-neutral) slurm profile at the
single node of cluster/slurm/up.sh: everything on the loopback interface."""


def in_ci() -> bool:
    """Whether the environment variable CI asks for every service to be present."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def slurm_problem() -> str | None:
    """Why SLURM cannot be used here, or None if it can."""
    if shutil.which("sbatch") is None:
        return "sbatch is not on PATH (bring SLURM up with: bash cluster/slurm/up.sh)"
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
    if "is UP" not in ping.stdout:
        answer = ping.stdout.strip() or ping.stderr.strip()
        return f"slurmctld does not answer ({answer}); run: bash cluster/slurm/up.sh"
    return None


@pytest.fixture
def slurm() -> None:
    """Skip without a usable SLURM, or fail under CI."""
    problem = slurm_problem()
    if problem and in_ci():
        pytest.fail(f"CI is set but SLURM is unusable: {problem}")
    if problem:
        pytest.skip(problem)
