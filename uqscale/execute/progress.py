"""What a person watching a run sees: a progress bar (tqdm's, a widget in a notebook)
and a ticking line while an analysis runs; nothing when no one watches (CI logs, pipes,
tests). :func:`interactive` alone decides who watches, for the CLI and the Python API."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tqdm.std import tqdm

MIN_INTERVAL = 0.2
"""Seconds between redraws of the bar."""


def interactive(stream: TextIO | None = None) -> bool:
    """Whether a person watches: ``stream`` (standard error by default) is a terminal,
    or the code runs in a notebook's kernel.

    Parameters
    ----------
    stream
        Where progress would be drawn.

    Returns
    -------
    bool
        True for a terminal or a running notebook kernel.
    """
    return (stream or sys.stderr).isatty() or in_notebook()


def in_notebook() -> bool:
    """Whether this process is a running notebook kernel: IPython's shell is a ZMQ
    kernel shell (importing ipykernel, as nbclient does in a test process, is not)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def clock(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds.

    Examples
    --------
    >>> clock(3725.4)
    '1:02:05'
    """
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def bar_class() -> type[tqdm[Any]]:
    """tqdm's notebook widget bar in a notebook kernel with ipywidgets, else its text
    bar. (``tqdm.auto`` chooses by "ipykernel.zmqshell is imported", which a test
    process running nbclient also satisfies; :func:`in_notebook` asks the shell.)"""
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook_bar

        return notebook_bar
    from tqdm.std import tqdm as text_bar

    return text_bar


class Progress:
    """Samples done, failed and retried, the rate and the time left, on one bar.

    Parameters
    ----------
    total
        Samples to run in this session.
    stream
        Where a text bar draws; by default standard error.
    enabled
        Draw at all; by default when :func:`interactive` (``stream``).
    """

    def __init__(
        self, total: int, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.enabled = interactive(stream) if enabled is None else enabled
        self.total = total
        self.done = self.failed = self.retried = 0
        self._bar: tqdm[Any] | None = None
        if self.enabled:
            self._bar = bar_class()(
                total=total,
                file=stream or sys.stderr,
                unit="sample",
                mininterval=MIN_INTERVAL,
                dynamic_ncols=True,
                postfix=self.counts(),
            )

    def update(self, samples: int, failed: int, retried: int) -> None:
        """Count a finished batch and redraw (at most every 0.2 s).

        Parameters
        ----------
        samples
            Samples the batch held.
        failed
            Of those, the ones that failed.
        retried
            Retries the batch took.
        """
        self.done += samples
        self.failed += failed
        self.retried += retried
        if self._bar is not None:
            self._bar.set_postfix_str(self.counts(), refresh=False)
            self._bar.update(samples)

    def counts(self) -> str:
        """The failures and retries so far, as the bar shows them after its rate.

        Examples
        --------
        >>> p = Progress(100, enabled=False)
        >>> p.update(50, 2, 1)
        >>> p.counts()
        '2 failed, 1 retried'
        """
        return f"{self.failed} failed, {self.retried} retried"

    def close(self) -> None:
        """Draw the last state and end the bar (again: nothing)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class Ticker:
    """``LABEL 0:00:12`` on one line while a slow step (an analysis) runs, redrawn
    every second once it has taken ``delay`` seconds; nothing when disabled.

    Parameters
    ----------
    label
        What is running.
    enabled
        Draw at all; by default when :func:`interactive` (``stream``).
    stream
        Where to draw; by default standard error.
    delay
        Seconds before the first line (fast steps print nothing).
    """

    def __init__(
        self,
        label: str,
        enabled: bool | None = None,
        stream: TextIO | None = None,
        delay: float = 2.0,
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = interactive(stream) if enabled is None else enabled
        self.delay = delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, daemon=True)
        self._drawn = False

    def __enter__(self) -> Ticker:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()

    def _draw(self) -> None:
        began = time.perf_counter()
        if self._stop.wait(self.delay):
            return
        while True:
            self.stream.write(f"\r{self.label} {clock(time.perf_counter() - began)}")
            self.stream.flush()
            self._drawn = True
            if self._stop.wait(1.0):
                return
