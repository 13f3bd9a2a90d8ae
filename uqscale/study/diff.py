"""What changed between two versions of a study, said in one line."""

from __future__ import annotations

from typing import Any


def first_difference(old: Any, new: Any, path: str = "") -> str | None:
    """The first field that differs between two file forms, as ``path: old -> new``.

    Parameters
    ----------
    old, new
        The two file forms (mappings, lists and scalars as a study file holds them).
    path
        The field path of ``old`` and ``new`` inside their study (empty at the top).

    Returns
    -------
    str or None
        The first difference, or None when the two are equal.

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


WHERE_KEYS = (
    "cluster",
    "workers",
    "batch_size",
    "address",
    "scheduler_file",
    "profile",
    "jobs",
    "minimum_jobs",
    "maximum_jobs",
    "jobqueue",
    "fail_fast",
)
"""``execution`` keys that say where and how fast a run goes, not what it computes."""


def run_form(study: Any) -> dict[str, Any]:
    """The parts of a study's file form that decide its samples and results: not
    its verification cases, its output options, nor where it runs."""
    form = {k: v for k, v in study.to_dict().items() if k not in ("verification", "output")}
    form["execution"] = {k: v for k, v in form.get("execution", {}).items() if k not in WHERE_KEYS}
    return form


def samples_difference(stored: Any, study: Any) -> str | None:
    """The first difference between two studies outside their analyses (the one
    that would need new samples), or None.

    Parameters
    ----------
    stored
        The stored run's study.
    study
        The study given now.

    Returns
    -------
    str or None
        As :func:`first_difference`.
    """

    def without_analyses(s: Any) -> dict[str, Any]:
        return {k: v for k, v in run_form(s).items() if k != "analysis"}

    return first_difference(without_analyses(stored), without_analyses(study))


def reusable_blocks(study: Any, stored: Any, design: Any) -> dict[str, tuple[int, int]] | None:
    """Rows of the stored run's design for each analysis of ``study``, or None when
    some analysis needs samples the run does not hold (which options change a
    method's design is the method's own ``SAMPLING`` declaration).

    Parameters
    ----------
    study
        The study given now.
    stored
        The stored run's study.
    design
        The stored run's design.

    Returns
    -------
    dict or None
        ``(start, stop)`` rows of ``design`` for each analysis, or None.
    """
    from uqscale.design import blocks_for
    from uqscale.errors import UqscaleError

    try:
        return blocks_for(study, stored, design)
    except UqscaleError:
        return None
