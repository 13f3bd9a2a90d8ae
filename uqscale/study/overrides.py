"""``--set KEY=VALUE``: changing a study's file form by dotted path before validation.

KEY is a dotted path into the file form, list entries by number
(``analysis.0.order``, ``models.1.parameters.nx``, ``inputs.eps.high``); VALUE is read
as a YAML scalar (``2``, ``0.05``, ``true``, ``null``, ``bdf``; ``1e-3`` is a number
here, although YAML 1.1 would read it as text) or a YAML flow list or mapping
(``[1, 2]``). Missing mapping keys are created; list indices must exist. Since the
overrides apply before the study is validated, a wrong value is reported by the
field it lands in, as for a mistake in the file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from uqscale.errors import StudyError

if TYPE_CHECKING:
    from uqscale.study.model import Study

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_assignment(text: str) -> tuple[list[str | int], Any]:
    """Split ``KEY=VALUE`` into the path's parts and the value.

    Examples
    --------
    >>> parse_assignment("analysis.0.order=2")
    (['analysis', 0, 'order'], 2)
    >>> parse_assignment("inputs.eps.high=1e-3")
    (['inputs', 'eps', 'high'], 0.001)
    >>> parse_assignment("execution.cluster=local")
    (['execution', 'cluster'], 'local')
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise StudyError("--set", f"must be KEY=VALUE, e.g. analysis.0.order=2 (got {text!r})")
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.strip().split(".")]
    if any(p == "" for p in parts):
        raise StudyError("--set", f"empty part in the key {key!r}")
    raw = raw.strip()
    if _DECIMAL.match(raw):
        return parts, int(raw) if raw.lstrip("+-").isdigit() else float(raw)
    try:
        return parts, yaml.safe_load(raw) if raw else None
    except yaml.YAMLError:
        raise StudyError(f"--set {key}", f"cannot read the value {raw!r} as YAML") from None


def _where(parts: list[str | int]) -> str:
    """The field path in the notation of error messages: ``analysis[0].order``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def apply_overrides(data: Any, assignments: Iterable[str]) -> Any:
    """Return a copy of a study's file form with each ``KEY=VALUE`` applied in order.

    Parameters
    ----------
    data
        The mapping loaded from a study file (not changed).
    assignments
        ``KEY=VALUE`` strings, as given to ``--set``.

    Returns
    -------
    Any
        The changed copy of ``data``.

    Raises
    ------
    StudyError
        For a malformed assignment, or a path through a list index that does not
        exist or through a value that is neither a list nor a mapping.

    Examples
    --------
    >>> apply_overrides({"analysis": [{"method": "pce", "order": 4}]},
    ...                 ["analysis.0.order=2", "execution.workers=1"])
    {'analysis': [{'method': 'pce', 'order': 2}], 'execution': {'workers': 1}}
    """
    data = copy.deepcopy(data)
    for text in assignments:
        parts, value = parse_assignment(text)
        node = data
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = _where(parts[: depth + 1])
            if isinstance(node, list):
                if not isinstance(part, int) or not 0 <= part < len(node):
                    raise StudyError(
                        where,
                        f"no such entry (--set {text}: the list has "
                        f"{len(node)} entries, numbered from 0)",
                    )
            elif isinstance(node, dict):
                part = str(part)
                if not last and node.get(part) is None:
                    node[part] = {}
            else:
                raise StudyError(
                    _where(parts[:depth]) or "study",
                    f"is not a mapping or list, so --set {text} cannot reach into it",
                )
            if last:
                node[part] = value
            else:
                node = node[part]
    return data


def load_overridden(path: str | Path, assignments: Sequence[str] = ()) -> tuple[Study, str]:
    """Load a study file with ``--set`` assignments applied before validation.

    Parameters
    ----------
    path
        The study file.
    assignments
        ``KEY=VALUE`` strings, as given to ``--set``, applied in order.

    Returns
    -------
    tuple
        The validated study and its text as given: the file's own text without
        assignments, else the changed file form as YAML under a comment listing them.
    """
    from uqscale.study.files import read_study_text, study_from_text
    from uqscale.study.parse import parse_study

    path = Path(path)
    text = read_study_text(path)
    base_dir = path.resolve().parent
    if not assignments:
        return study_from_text(text, base_dir, str(path)), text
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        study_from_text(text, base_dir, str(path))  # raises the one-line YAML error
        raise
    data = apply_overrides(data, assignments)
    header = "".join(f"# --set {a}\n" for a in assignments)
    given = f"# {path} with\n{header}" + yaml.safe_dump(data, sort_keys=False, width=88)
    return parse_study(data, base_dir), given
