"""Errors that uqscale reports to users as one line."""

from __future__ import annotations

from typing import Any

from uqscale.exitcodes import ExitCode


class UqscaleError(Exception):
    """An error the command line prints as one line, without a traceback."""

    exit_code = ExitCode.RUNTIME_ERROR

    def lines(self) -> list[str]:
        """What the command line prints, one line each."""
        return [f"error: {self}"]


class StudyError(UqscaleError, ValueError):
    """A mistake in a study, located by the path of the field that holds it.

    Parameters
    ----------
    path
        Dotted path of the offending field, e.g. ``"inputs.x1.high"``.
    message
        What is wrong and how to fix it.

    Examples
    --------
    >>> str(StudyError("inputs.x1.high", "must be greater than low (got low=2, high=1)"))
    'inputs.x1.high: must be greater than low (got low=2, high=1)'
    """

    exit_code = ExitCode.STUDY_ERROR

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self) -> tuple[type[StudyError], tuple[Any, ...]]:
        # Raised in Dask workers too: pickle by the constructor's own arguments.
        return type(self), (self.path, self.message)


class StoppedEarlyError(UqscaleError):
    """The first samples of a run all failed with the same error in the same step:
    the run stopped at once (``execution.fail_fast``); what ran is stored."""

    exit_code = ExitCode.STOPPED_EARLY


class RunInterruptedError(UqscaleError):
    """The run was interrupted (Ctrl-C); finished batches are stored."""

    exit_code = ExitCode.INTERRUPTED

    def lines(self) -> list[str]:
        return [str(self)]
