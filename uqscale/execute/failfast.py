"""Stopping a run at once when its model is plainly broken.

A step whose parameter is misspelt fails every sample with the same ``TypeError``;
running the rest of the design only wastes the allocation. When the first
:data:`FAIL_FAST_SAMPLES` finished samples (and every sample of the batches
finished so far, which covers the first batch of every worker) all failed with the
same error in the same step, :class:`FailFast` raises :class:`StoppedEarlyError`.
``execution.fail_fast: false`` turns this off.
"""

from __future__ import annotations

from collections import Counter

from uqscale.errors import StoppedEarlyError
from uqscale.records import BatchResult, Failure

FAIL_FAST_SAMPLES = 20
"""Finished samples, all failed alike, that stop a run (a documented contract)."""


class FailFast:
    """Watches finished batches; raises :class:`StoppedEarlyError` on a broken model.

    Parameters
    ----------
    enabled
        ``execution.fail_fast``.
    resume_hint
        The command that goes on after the model is fixed (ends the message).
    threshold
        Finished samples needed before deciding.
    """

    def __init__(self, enabled: bool, resume_hint: str, threshold: int = FAIL_FAST_SAMPLES) -> None:
        self.enabled = enabled
        self.resume_hint = resume_hint
        self.threshold = threshold
        self.finished = 0
        self.kinds: Counter[tuple[str, str]] = Counter()
        self.example: Failure | None = None
        self.decided = not enabled

    def update(self, result: BatchResult) -> None:
        """Count one finished batch; raise :class:`StoppedEarlyError` when the run
        should stop."""
        if self.decided:
            return
        self.finished += result.stop - result.start
        self.kinds.update((f.step, f.error) for f in result.failures)
        self.example = self.example or (result.failures[0] if result.failures else None)
        if len(self.kinds) > 1 or sum(self.kinds.values()) < self.finished:
            self.decided = True  # some sample succeeded, or they fail differently
        elif self.finished >= self.threshold:
            raise StoppedEarlyError(self.message())

    def message(self) -> str:
        """The stop message: the error, the traceback's tail and what to do."""
        failure = self.example
        assert failure is not None
        lines = [
            line for line in failure.traceback.splitlines() if line.strip(" ^~")
        ]  # not the caret lines under the code
        tail = "\n".join("    " + line for line in lines[-3:])
        return (
            f"stopped early: the first {self.finished} samples all failed in step "
            f"'{failure.step}' with {failure.error}: {failure.message}\n"
            + (f"{tail}\n" if tail else "")
            + f"fix the model, then `{self.resume_hint}` (finished batches are "
            f"stored; execution.fail_fast: false runs on regardless)"
        )
