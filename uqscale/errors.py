"""Errors that uqscale reports to users as one line."""

from __future__ import annotations


class UqscaleError(Exception):
    """An error the command line prints as one line, without a traceback."""

    exit_code = 1


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

    exit_code = 2

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def __reduce__(self):
        # Raised in Dask workers too: pickle by the constructor's own arguments.
        return type(self), (self.path, self.message)
