"""The pieces a report is made of, independent of HTML: sections holding headings,
figures (with captions), tables and notes, and how numbers are written."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Figure:
    """An image with its caption, drawn only when a renderer shows it (``draw()``
    returns a ``data:`` URI; Markdown never draws)."""

    draw: Callable[[], str]
    alt: str
    caption: str
    kind: str = "figure"

    @cached_property
    def uri(self) -> str:
        """The drawn image, as a ``data:`` URI."""
        return self.draw()


@dataclass(frozen=True)
class Badge:
    """A short coloured label in a table cell (``tone``: good, bad, warn, neutral)."""

    text: str
    tone: str = "neutral"
    kind: str = "badge"


@dataclass(frozen=True)
class Chip:
    """A scale-group name on its group's colour."""

    text: str
    colour: str
    kind: str = "chip"


Cell = str | Badge | Chip


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header; ``numeric`` columns are right-aligned."""

    head: list[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    numeric: tuple[int, ...] = ()
    collapsed: str = ""
    """When set, the table is folded away under this summary line."""
    kind: str = "table"


@dataclass(frozen=True)
class Note:
    """A remark set apart from the text (``tone``: info, warn, bad, good)."""

    text: str
    tone: str = "info"
    kind: str = "note"


@dataclass(frozen=True)
class Heading:
    """A subheading inside a section."""

    text: str
    kind: str = "heading"


@dataclass(frozen=True)
class Cards:
    """Key figures shown large, ``(label, value, tone)``."""

    items: list[tuple[str, str, str]]
    kind: str = "cards"


Block = Figure | Table | Note | Heading | Cards


@dataclass
class Section:
    """One titled part of the report; ``lead`` says what the reader will find."""

    id: str
    title: str
    lead: str = ""
    blocks: list[Block] = field(default_factory=list)


def number(value: Any, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, thousands separated for
    large integers, a dash for missing values.

    Parameters
    ----------
    value
        A number, a boolean, or None (missing).
    digits
        Significant digits of a float shown as it is.

    Returns
    -------
    str
        The number as the report writes it (``∞`` and ``−∞`` for infinities).

    Examples
    --------
    >>> number(0.313905), number(131572), number(float("nan")), number(1.2e-6)
    ('0.314', '131,572', '–', '1.2e-06')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    value = float(value)
    if not math.isfinite(value):
        return "–" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15 and abs(value) >= 1000:
        return f"{int(value):,}"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}"
    return f"{value:.{max(digits - 1, 1)}g}"


def duration(seconds: float | None) -> str:
    """Seconds as ``2.4 s``, ``3 min 20 s`` or ``1 h 05 min``.

    Examples
    --------
    >>> duration(2.43), duration(200), duration(3900)
    ('2.4 s', '3 min 20 s', '1 h 05 min')
    """
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def plural(count: int, word: str) -> str:
    """``1 input``, ``2 inputs``, ``1,200 samples``.

    Parameters
    ----------
    count
        How many.
    word
        The singular of the noun (an ``s`` makes its plural).

    Returns
    -------
    str
        The count, thousands separated, and the noun it agrees with.

    Examples
    --------
    >>> plural(1, "input"), plural(1200, "sample")
    ('1 input', '1,200 samples')
    """
    return f"{count:,} {word}" + ("" if count == 1 else "s")
