"""The cluster profiles shipped with uqscale, registered in dask config.

``KIND.yaml`` in this package is plain dask config for dask-jobqueue (one section,
``jobqueue.KIND``: one job per single-threaded worker). :func:`register` files each
section as dask config *defaults* under ``uqscale.jobqueue.KIND``, the way dask-jobqueue
files its own ``jobqueue.yaml``: whatever the user's dask config files or environment
say (``DASK_UQSCALE__JOBQUEUE__SLURM__QUEUE=long``) wins over the packaged value, and a
study's ``execution.jobqueue`` keywords win over both. The files are read through
:mod:`importlib.resources`, so a wheel install finds them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Any

from uqscale.execute.kinds import BATCH_KINDS

NAMESPACE = "uqscale.jobqueue"
"""Where the packaged profiles live in dask config: ``uqscale.jobqueue.KIND``."""


def packaged(kind: str) -> Mapping[str, Any]:
    """The packaged profile of batch-scheduler ``kind`` as read from its file.

    Parameters
    ----------
    kind
        A batch cluster kind (``slurm``, ``pbs``, ``sge``, ``lsf``).

    Returns
    -------
    Mapping
        The file's dask config, ``{"jobqueue": {kind: {...}}}``.
    """
    import yaml

    text = resources.files(__name__).joinpath(f"{kind}.yaml").read_text(encoding="utf-8")
    config: Mapping[str, Any] = yaml.safe_load(text)
    return config


@functools.cache
def register() -> None:
    """File every packaged profile as dask config defaults under ``uqscale.jobqueue``
    (once per process; user config and environment keep precedence)."""
    import dask.config

    sections = {kind: packaged(kind)["jobqueue"][kind] for kind in BATCH_KINDS}
    dask.config.update_defaults({"uqscale": {"jobqueue": sections}})


def registered(kind: str) -> dict[str, Any]:
    """The options of ``kind``'s profile as dask config has them now: packaged values
    under the user's config files and ``DASK_UQSCALE__JOBQUEUE__KIND__*`` variables."""
    import dask.config

    register()
    return dict(dask.config.get(f"{NAMESPACE}.{kind}"))
