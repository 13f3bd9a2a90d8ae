"""The cluster kinds a run can use, as one declarative table.

Each kind is an adapter: what it connects to, which execution field it needs, and, for
batch schedulers, the dask-jobqueue class that submits the workers and the packaged
profile that holds that class's default options (``uqscale/execute/profiles/KIND.yaml``,
registered in dask config as ``uqscale.jobqueue.KIND``). The command line's choices,
the study's validation and :mod:`uqscale.execute.cluster` all read this table, so a new
kind is one row here (and, for a batch scheduler, one profile file).

Importing this module imports nothing heavy: ``uqscale --help`` and study validation use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterKind:
    """One way of getting Dask workers for a run.

    Attributes
    ----------
    name
        The value of ``execution.cluster`` and ``--cluster``.
    summary
        One line for help texts.
    requires
        The execution field that must be set for this kind (``address``,
        ``scheduler_file``), or None.
    jobqueue_class
        The ``dask_jobqueue`` class that submits one batch job per worker, or None for
        kinds that are not batch schedulers.
    """

    name: str
    summary: str
    requires: str | None = None
    jobqueue_class: str | None = None

    @property
    def is_batch(self) -> bool:
        """Whether workers are batch jobs submitted by dask-jobqueue."""
        return self.jobqueue_class is not None


KINDS: dict[str, ClusterKind] = {
    kind.name: kind
    for kind in (
        ClusterKind("local", "an embedded LocalCluster on this machine (TLS, per-run certificate)"),
        ClusterKind("address", "a running Dask scheduler at execution.address", requires="address"),
        ClusterKind(
            "scheduler_file",
            "a running Dask scheduler named in a scheduler file",
            requires="scheduler_file",
        ),
        ClusterKind("slurm", "workers as SLURM batch jobs", jobqueue_class="SLURMCluster"),
        ClusterKind("pbs", "workers as PBS/Torque batch jobs", jobqueue_class="PBSCluster"),
        ClusterKind("sge", "workers as Grid Engine batch jobs", jobqueue_class="SGECluster"),
        ClusterKind("lsf", "workers as IBM LSF batch jobs", jobqueue_class="LSFCluster"),
    )
}
CLUSTERS: tuple[str, ...] = tuple(KINDS)
"""Every kind's name, in the table's order."""
BATCH_KINDS: tuple[str, ...] = tuple(name for name, kind in KINDS.items() if kind.is_batch)
"""The kinds whose workers are batch jobs (each has a packaged profile)."""
