"""A one-line progress bar for the terminal; silent when output is not a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

WIDTH = 24
MIN_INTERVAL = 0.2


def clock(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds.

    Examples
    --------
    >>> clock(3725.4)
    '1:02:05'
    """
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Progress:
    """Samples done, failed and retried, the rate and the time left.

    Parameters
    ----------
    total
        Samples to run in this session.
    stream
        Where to draw; by default standard error.
    enabled
        Draw at all; by default only when ``stream`` is a terminal.
    """

    def __init__(
        self, total: int, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = total
        self.done = self.failed = self.retried = 0
        self.began = time.perf_counter()
        self._drawn = 0.0

    def update(self, samples: int, failed: int, retried: int) -> None:
        """Count a finished batch and redraw (at most every 0.2 s)."""
        self.done += samples
        self.failed += failed
        self.retried += retried
        now = time.perf_counter()
        if self.enabled and (now - self._drawn > MIN_INTERVAL or self.done >= self.total):
            self._drawn = now
            self.stream.write("\r" + self.line(now - self.began))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        """The progress line after ``elapsed`` seconds.

        Examples
        --------
        >>> p = Progress(100, enabled=False)
        >>> p.update(50, 2, 1)
        >>> p.line(10.0)
        '[############            ]  50/100 samples  2 failed  1 retried  5.0/s  ETA 0:00:10'
        """
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(WIDTH * share)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = clock(left) if left != float("inf") else "?"
        return (
            f"[{bar:<{WIDTH}}] {self.done:>{len(str(self.total))}}/{self.total} samples  "
            f"{self.failed} failed  {self.retried} retried  {rate:.1f}/s  ETA {eta}"
        )

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Ticker:
    """``LABEL 0:00:12`` on one line while a slow step (an analysis) runs, redrawn
    every second once it has taken ``delay`` seconds; nothing when disabled.

    Parameters
    ----------
    label
        What is running.
    enabled
        Draw at all; by default only when ``stream`` is a terminal.
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
        self.enabled = self.stream.isatty() if enabled is None else enabled
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
