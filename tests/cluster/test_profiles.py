"""The dask-jobqueue profiles in cluster/profiles/ load as dask config and render job scripts.

No batch scheduler needed: this only builds the job scripts as text.
"""

from __future__ import annotations

from pathlib import Path

import dask
import pytest
import yaml

PROFILES = Path(__file__).resolve().parents[2] / "cluster" / "profiles"

# kind -> (cluster class name, directive prefix, lines the profile must produce)
EXPECTED = {
    "slurm": (
        "SLURMCluster",
        "#SBATCH",
        [
            "#SBATCH -J uqscale-worker",
            "#SBATCH -p debug",
            "#SBATCH --cpus-per-task=1",
            "#SBATCH --mem=954M",
            "#SBATCH -t 00:30:00",
        ],
    ),
    "pbs": (
        "PBSCluster",
        "#PBS",
        [
            "#PBS -N uqscale-worker",
            "#PBS -l select=1:ncpus=1:mem=954MB",
            "#PBS -l walltime=00:30:00",
        ],
    ),
    "sge": ("SGECluster", "#$", ["#$ -N uqscale-worker", "#$ -l h_rt=00:30:00"]),
    "lsf": ("LSFCluster", "#BSUB", ["#BSUB -J uqscale-worker", "#BSUB -n 1", "#BSUB -W 00:30"]),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_profile_is_plain_dask_config(kind):
    import dask_jobqueue  # noqa: F401  (registers the jobqueue defaults)

    raw = yaml.safe_load((PROFILES / f"{kind}.yaml").read_text())
    assert list(raw) == ["jobqueue"] and list(raw["jobqueue"]) == [kind]
    # Every key is one dask-jobqueue knows: a typo would be silently ignored otherwise.
    unknown = set(raw["jobqueue"][kind]) - set(dask.config.get(f"jobqueue.{kind}"))
    assert not unknown


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_profile_renders_job_script(kind):
    import dask_jobqueue

    class_name, prefix, expected = EXPECTED[kind]
    section = dask.config.collect(paths=[str(PROFILES / f"{kind}.yaml")], env={})["jobqueue"][kind]
    # Dotted keys: dask.config.set({"jobqueue": ...}) would drop dask-jobqueue's defaults.
    settings = {f"jobqueue.{kind}.{key}": value for key, value in section.items()}
    extra = {"lsf_units": "MB"} if kind == "lsf" else {}  # else LSF reads lsf.conf
    # interface="lo": the scheduler listens on loopback only, whatever the profile says.
    with (
        dask.config.set(settings),
        getattr(dask_jobqueue, class_name)(interface="lo", **extra) as cluster,
    ):
        script = cluster.job_script()
    directives = [line for line in script.splitlines() if line.startswith(prefix)]
    assert set(expected) <= set(directives), directives
    worker = script.splitlines()[-1]
    assert "--nthreads 1" in worker and "--memory-limit 0.93GiB" in worker
    assert "--local-directory ${TMPDIR:-/tmp}" in worker
