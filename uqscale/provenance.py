"""What a run records about where, when and with what it ran."""

from __future__ import annotations

import hashlib
import platform
import sys
import time
from importlib import metadata
from typing import Any

PACKAGES = (
    "uqscale",
    "numpy",
    "scipy",
    "xarray",
    "chaospy",
    "SALib",
    "dask",
    "distributed",
    "dask-jobqueue",
    "h5netcdf",
)


def versions() -> dict[str, str]:
    """Installed versions of uqscale and what it depends on."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def provenance(given_text: str, seed: int) -> dict[str, Any]:
    """The provenance record of a run starting now.

    Parameters
    ----------
    given_text
        The study file as given (its SHA-256 is recorded).
    seed
        The study's seed.

    Returns
    -------
    dict
        Hashes, versions, host, platform, command line, start, no sessions yet.
    """
    return {
        "study_sha256": hashlib.sha256(given_text.encode()).hexdigest(),
        "seed": seed,
        "versions": versions(),
        "host": platform.node(),
        "platform": platform.platform(),
        "command": sys.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sessions": [],
    }


def session_record(started: str, samples: int, where: dict[str, Any] | None) -> dict[str, Any]:
    """One launcher session of a run: when, what it ran, where, on which host.

    Parameters
    ----------
    started
        When the session started (``%Y-%m-%dT%H:%M:%S%z``).
    samples
        Samples it ran.
    where
        The cluster it ran on (:func:`uqscale.execute.cluster.describe`), or None.

    Returns
    -------
    dict
        The session's entry of provenance ``sessions``.
    """
    return {
        "started": started,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "samples": samples,
        "host": platform.node(),
        "command": sys.argv,
        "cluster": where,
    }
