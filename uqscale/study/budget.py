"""Refusing budgets whose design alone would not fit in memory, before any sampling.

A study asking for ``sobol`` with ``n = 2**40`` or ``pce`` of order 60 would fail
with a ``MemoryError`` (or run for hours) while its design is drawn; the estimate
here (rows x inputs x 8 bytes, times :data:`WORKING_COPIES` for the copies sampling
makes, plus the regression matrix of a fixed-order PCE and the copy its least-squares
solver makes) is checked against the machine's physical memory when the study is
validated.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from uqscale.errors import StudyError

WORKING_COPIES = 4
"""Copies of the design that sampling holds at once (unit cube, mapped, stacked)."""
OVERSAMPLING = 2
"""Regression samples per PCE term, as :data:`uqscale.analysis.pce.OVERSAMPLING` (a test
keeps them equal): importing that module takes seconds, validation must not."""


def physical_memory() -> int:
    """Bytes of memory of this machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def design_size(method: str, options: Mapping[str, Any], inputs: int
                ) -> tuple[int, int, str] | None:
    """Rows of the method's design, bytes its sampling and fitting hold, and the option
    that sets them; None for a method whose design is not estimated here."""
    if method == "moments":
        rows, option = options.get("n") or 1000, "n"
    elif method == "sobol":
        rows, option = options["n"] * (2 * inputs + 2 if options["second_order"]
                                       else inputs + 2), "n"
    elif method == "morris":
        rows, option = options["trajectories"] * (inputs + 1), "trajectories"
    elif method == "pce" and options["design"] == "quadrature" and not options["sparse"]:
        rows, option = (options["order"] + 1) ** inputs, "order"
    elif method == "pce" and options["design"] == "regression" and options["order"] != "auto":
        terms = math.comb(options["order"] + inputs, inputs)   # q_norm < 1 keeps fewer
        rows = options.get("n") or OVERSAMPLING * terms
        option = "n" if options.get("n") else "order"
        return rows, 8 * rows * (WORKING_COPIES * inputs + 2 * terms), option
    else:
        return None
    return rows, 8 * rows * WORKING_COPIES * inputs, option


def check_budget(method: str, options: Mapping[str, Any], inputs: int, path: str) -> None:
    """Refuse an analysis whose design would not fit in this machine's memory.

    Parameters
    ----------
    method
        The analysis method.
    options
        Its options, defaults filled in.
    inputs
        Number of uncertain inputs.
    path
        Field path of the analysis, e.g. ``analysis[0]``.

    Raises
    ------
    StudyError
        Naming the option that sets the size, with the estimate in the message.
    """
    size = design_size(method, options, inputs)
    if size is None:
        return
    rows, needed, option = size
    memory = physical_memory()
    if needed > memory:
        raise StudyError(f"{path}.{option}",
                         f"asks for a design of {rows:.3g} samples of {inputs} inputs, about "
                         f"{_bytes(needed)} in memory, more than this machine's "
                         f"{_bytes(memory)}; lower {option}")


def _bytes(count: float) -> str:
    """``count`` bytes in a readable unit.

    Examples
    --------
    >>> _bytes(3 * 2**30), _bytes(5e15)
    ('3.0 GiB', '4.4 PiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024:
            return f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} PiB"
