"""What changed between two versions of a study, said in one line."""

from __future__ import annotations

from typing import Any


def first_difference(old: Any, new: Any, path: str = "") -> str | None:
    """The first field that differs between two file forms, as ``path: old -> new``.

    Examples
    --------
    >>> first_difference({"seed": 1, "inputs": {"x": {"low": 0}}},
    ...                  {"seed": 1, "inputs": {"x": {"low": 2}}})
    'inputs.x.low: 0 -> 2'
    >>> first_difference([1, 2], [1, 2]) is None
    True
    """
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                return f"{where}: removed"
            if key not in old:
                return f"{where}: added"
            found = first_difference(old[key], new[key], where)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        if len(old) != len(new):
            return f"{path}: {len(old)} entries -> {len(new)}"
        return None
    return None if old == new else f"{path}: {old!r} -> {new!r}"
