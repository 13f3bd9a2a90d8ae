"""uqscale's own messages through :mod:`logging`, and keeping Dask's loggers from
repeating failures that uqscale records itself.

The command line sends the ``uqscale`` logger, and Python warnings of the launcher,
to standard error as bare lines: warnings and errors always (``--quiet`` hides only
progress and information), debug messages with ``-v``. (Warnings raised by models in
the workers are counted and stored instead: :mod:`uqscale.execute.runner`.)
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TextIO

logger = logging.getLogger("uqscale")

DASK_REPEATS = ("Compute Failed",)
"""Starts of messages of distributed's worker logger that only repeat a failure
uqscale records and reports itself (a study error raised in a task)."""


def configure(verbosity: int = 0, quiet: bool = False) -> None:
    """Print the ``uqscale`` logger's messages on standard error.

    Parameters
    ----------
    verbosity
        0: information and up; 1 or more (``-v``): debug messages too.
    quiet
        Warnings and errors only.
    """
    level = logging.DEBUG if verbosity else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    warnings.showwarning = _warning_line
    silence_dask_repeats()


def _warning_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Python warnings of this process (a report section not drawn) as one line."""
    logger.warning("warning: %s", message)


class _DropRepeats(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(DASK_REPEATS)


def silence_dask_repeats() -> None:
    """Drop distributed's "Compute Failed" records in this process (idempotent)."""
    worker_logger = logging.getLogger("distributed.worker")
    if not any(isinstance(f, _DropRepeats) for f in worker_logger.filters):
        worker_logger.addFilter(_DropRepeats())
