"""The packaged dask-jobqueue profiles (``uqscale/execute/profiles/``): plain dask config
that renders the expected job scripts, registered as ``uqscale.jobqueue.KIND`` with
keyword > user config and environment > packaged defaults, and shipped in the wheel.

No batch scheduler needed: job scripts are only built as text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import dask
import pytest
import yaml

from tests.cluster.conftest import PROFILES
from uqscale.execute.kinds import BATCH_KINDS, CLUSTERS, KINDS

# kind -> (cluster class name, directive prefix, lines the profile must produce)
EXPECTED = {
    "slurm": (
        "SLURMCluster",
        "#SBATCH",
        [
            "#SBATCH -J uqscale-worker",
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


def test_every_batch_kind_has_a_class_and_a_packaged_profile():
    import dask_jobqueue

    assert set(EXPECTED) == set(BATCH_KINDS)
    for kind in BATCH_KINDS:
        assert KINDS[kind].jobqueue_class == EXPECTED[kind][0]
        assert issubclass(
            getattr(dask_jobqueue, KINDS[kind].jobqueue_class), dask_jobqueue.core.JobQueueCluster
        )
        assert (PROFILES / f"{kind}.yaml").is_file()
    assert {n for n in CLUSTERS if KINDS[n].requires} == {"address", "scheduler_file"}


def test_the_command_line_and_validation_offer_the_tables_kinds(capsys):
    from uqscale.cli import _parser
    from uqscale.errors import StudyError
    from uqscale.study.files import study_from_text

    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "s.yaml", "--cluster", "nosuch"])
    assert "{" + ",".join(CLUSTERS) + "}" in capsys.readouterr().err
    study = textwrap.dedent("""
        study: kinds
        inputs:
          x1: {distribution: uniform, low: 0, high: 1}
          x2: {distribution: uniform, low: 0, high: 1}
          x3: {distribution: uniform, low: 0, high: 1}
        models: [{name: f, python: "uqscale.testfunctions:ishigami", inputs: [x1, x2, x3],
                  outputs: [y]}]
        analysis: [{method: moments, n: 8}]
        execution: {cluster: %s}
    """)
    with pytest.raises(StudyError, match=r"^execution\.cluster: .*'nosuch'"):
        study_from_text(study % "nosuch", None)
    with pytest.raises(StudyError, match=r"^execution\.address: is required"):
        study_from_text(study % "address", None)
    assert study_from_text(study % "lsf", None).execution.cluster == "lsf"


# Run in a fresh interpreter: dask reads the environment and config files at import.
PRECEDENCE = """
import json, sys
from pathlib import Path
import dask, dask_jobqueue
import uqscale
from uqscale.execute.cluster import jobqueue_keywords, profile_config

execution = uqscale.Execution(cluster="slurm", jobqueue={"walltime": "02:00:00"})
with dask.config.set(profile_config(execution, None)):
    keywords = jobqueue_keywords(execution, Path.cwd())
    with dask_jobqueue.SLURMCluster(**keywords) as cluster:
        script = cluster.job_script()
print(json.dumps({"options": dask.config.get("uqscale.jobqueue"), "script": script,
                  "file": uqscale.__file__}))
"""


def precedence(env: dict[str, str], cwd: Path, pythonpath: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PRECEDENCE],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env, "PYTHONPATH": pythonpath},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def user_config(folder: Path) -> dict[str, str]:
    """A user's dask config folder that changes one key of each of two profiles."""
    folder.mkdir()
    (folder / "site.yaml").write_text(
        "uqscale:\n  jobqueue:\n    slurm:\n"
        "      walltime: '05:00:00'\n      account: physics\n"
        "    pbs:\n      queue: long\n"
    )
    return {"DASK_CONFIG": str(folder)}


def test_keyword_beats_user_config_and_environment_which_beat_the_packaged_profile(tmp_path):
    env = {**user_config(tmp_path / "dask"), "DASK_UQSCALE__JOBQUEUE__SLURM__ACCOUNT": "chem"}
    seen = precedence(env, tmp_path, str(Path(__file__).resolve().parents[2]))
    options = seen["options"]
    assert options["pbs"]["queue"] == "long"  # user config over packaged
    assert options["slurm"]["account"] == "chem"  # environment over user config
    assert options["slurm"]["walltime"] == "05:00:00"  # user config over packaged
    assert options["sge"]["walltime"] == "00:30:00"  # packaged
    directives = [line for line in seen["script"].splitlines() if line.startswith("#SBATCH")]
    assert "#SBATCH -A chem" in directives
    assert "#SBATCH -t 02:00:00" in directives  # keyword over everything
    assert "#SBATCH -J uqscale-worker" in directives  # packaged, untouched
    # The run's certificate reaches the job as files in the shared folder, not inline.
    worker = seen["script"].splitlines()[-1]
    assert "tls://" in worker and f"--tls-ca-file {tmp_path}/.dask-jobqueue.worker." in worker


@pytest.mark.slow
def test_a_wheel_ships_the_profiles_and_finds_them(tmp_path):
    # Built from a copy: setuptools leaves build/ and *.egg-info in the source folder.
    root, source = Path(__file__).resolve().parents[2], tmp_path / "source"
    shutil.copytree(
        root / "uqscale", source / "uqscale", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (root / name).is_file():
            shutil.copy(root / name, source / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "-w",
            str(tmp_path / "wheel"),
            "--no-deps",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("uqscale-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "installed")
    assert {f"uqscale/execute/profiles/{kind}.yaml" for kind in BATCH_KINDS} <= names
    # Only the wheel's uqscale on the path, run far from any source tree.
    away = tmp_path / "elsewhere"
    away.mkdir()
    seen = precedence(user_config(tmp_path / "dask"), away, str(tmp_path / "installed"))
    assert seen["file"].startswith(str(tmp_path / "installed"))
    assert seen["options"]["pbs"]["queue"] == "long"
    assert seen["options"]["lsf"]["walltime"] == "00:30"
    assert "#SBATCH -J uqscale-worker" in seen["script"]
