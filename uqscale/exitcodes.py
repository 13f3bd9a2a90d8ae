"""The exit codes of the ``uqscale`` command, in one place (a public contract).

=====  ====================  ==========================================================
code   name                  meaning
=====  ====================  ==========================================================
0      OK                    finished, and every requested analysis was computed
1      RUNTIME_ERROR         could not run (cluster, disk, lock, a changed model ...)
2      STUDY_ERROR           the study file or its models are wrong (one line per fault)
3      ANALYSES_MISSING      finished, but some analyses could not be computed
4      ALL_FAILED            finished, but every sample failed
5      STOPPED_EARLY         stopped at once: the first samples all failed alike
                             (``execution.fail_fast``); the folder can be resumed
130    INTERRUPTED           interrupted (Ctrl-C); the folder can be resumed
141    CLOSED_PIPE           the reader of the output went away (``| head``)
=====  ====================  ==========================================================

The Python API gives the same verdict as :attr:`uqscale.api.RunResult.verdict`; the
command line only maps it to the process's exit status.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit status of ``uqscale`` (see the module's table)."""

    OK = 0
    RUNTIME_ERROR = 1
    STUDY_ERROR = 2
    ANALYSES_MISSING = 3
    ALL_FAILED = 4
    STOPPED_EARLY = 5
    INTERRUPTED = 130
    CLOSED_PIPE = 141


def verdict(samples: int, failed: int, analysis_errors: int) -> ExitCode:
    """What a finished run's numbers say.

    Parameters
    ----------
    samples
        Samples of the run's design.
    failed
        Samples that failed (and are still failed).
    analysis_errors
        Requested analyses that could not be computed.

    Returns
    -------
    ExitCode
        ``OK``, ``ANALYSES_MISSING`` or ``ALL_FAILED``.

    Examples
    --------
    >>> verdict(100, 3, 0).name, verdict(100, 3, 1).name, verdict(100, 100, 2).name
    ('OK', 'ANALYSES_MISSING', 'ALL_FAILED')
    """
    if samples and failed >= samples:
        return ExitCode.ALL_FAILED
    if analysis_errors:
        return ExitCode.ANALYSES_MISSING
    return ExitCode.OK
