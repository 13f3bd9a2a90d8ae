"""Wall time per stage of a run (design, cluster start, ensemble, analysis ...)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Wall seconds per named stage; a stage timed twice adds up.

    Examples
    --------
    >>> timer = StageTimer()
    >>> with timer.stage("design"):
    ...     pass
    >>> timer.add("model", 1.5)
    >>> sorted(timer.seconds), timer.seconds["model"]
    (['design', 'model'], 1.5)
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.began = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to stage ``name``."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name`` (time measured elsewhere, e.g. in workers).

        Parameters
        ----------
        name
            The stage, e.g. ``"evaluate"``.
        seconds
            Wall seconds to add to it.
        """
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def total(self) -> float:
        """Wall seconds since the timer was made: the whole session."""
        return time.perf_counter() - self.began
