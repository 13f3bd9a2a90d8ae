"""Refusing budgets whose design alone would not fit in memory, before any sampling.

A study asking for ``sobol`` with ``n = 2**40`` or ``pce`` of order 60 would fail
with a ``MemoryError`` (or run for hours) while its design is drawn; the estimate
here, each method's ``footprint`` (rows x inputs x 8 bytes, times
:data:`WORKING_COPIES` for the copies sampling makes, plus for instance the regression
matrix of a fixed-order PCE and the copy its least-squares solver makes), is checked
against the machine's physical memory when the study is validated.
"""

from __future__ import annotations

import os
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


def design_bytes(rows: int, inputs: int, columns: int = 0) -> int:
    """Bytes sampling a design of ``rows`` x ``inputs`` holds (:data:`WORKING_COPIES`
    copies), plus ``columns`` more float columns per row (a regression matrix).

    Parameters
    ----------
    rows
        Samples of the design.
    inputs
        Inputs per sample.
    columns
        Extra float columns per row.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> design_bytes(1000, 3)
    96000
    """
    return 8 * rows * (WORKING_COPIES * inputs + columns)


def check_budget(method: str, options: Any, inputs: int, path: str) -> None:
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
    from uqscale.analysis.registry import METHODS

    footprint = METHODS[method].footprint
    size = footprint(options, inputs) if footprint is not None else None
    if size is None:
        return
    rows, needed, option = size
    memory = physical_memory()
    if needed > memory:
        raise StudyError(
            f"{path}.{option}",
            f"asks for a design of {rows:.3g} samples of {inputs} inputs, about "
            f"{_bytes(needed)} in memory, more than this machine's "
            f"{_bytes(memory)}; lower {option}",
        )


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
