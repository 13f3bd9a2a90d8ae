"""Input-file templates of command steps: :class:`string.Template` text, nothing evaluated.

``$name`` or ``${name}`` is replaced by the value of an input or parameter of the step;
``$$`` is a dollar sign. Floats are written with :func:`repr`, so a program reading
them with ``strtod`` gets exactly the sampled value back.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from string import Template
from typing import Any

from uqscale.errors import StudyError


def variables(text: str, path: str) -> tuple[str, ...]:
    """Names the template ``text`` substitutes, in order of first use.

    Parameters
    ----------
    text
        The template (``$name`` or ``${name}`` placeholders).
    path
        Its field path, for errors.

    Returns
    -------
    tuple of str
        The names, each once.

    Raises
    ------
    StudyError
        At ``path`` for a ``$`` that starts no name.

    Examples
    --------
    >>> variables("D = ${D}\\nn = $nx, cost $$5", "f")
    ('D', 'nx')
    """
    template = Template(text)
    for match in template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line = text.count("\n", 0, match.start()) + 1
            raise StudyError(
                path,
                f"line {line}: '$' starts no variable name (write "
                f"$name or ${{name}}, and $$ for a dollar sign)",
            )
    return tuple(template.get_identifiers())


def check_template(text: str, known: Iterable[str], path: str) -> None:
    """Refuse a template naming a variable that is not in ``known``.

    Parameters
    ----------
    text
        The template.
    known
        The names it may use (the step's inputs and parameters).
    path
        Its field path, for errors.

    Examples
    --------
    >>> check_template("D = $D\\nL = $length", ["D"], "models[1].files.params.txt")
    Traceback (most recent call last):
    ...
    uqscale.errors.StudyError: models[1].files.params.txt: unknown variable '$length' (known: D)
    """
    known = list(known)
    for name in variables(text, path):
        if name not in known:
            listed = ", ".join(known) or "none; give the step inputs or parameters"
            raise StudyError(path, f"unknown variable '${name}' (known: {listed})")


def format_value(value: Any) -> str:
    """The text a value takes in a rendered file.

    Examples
    --------
    >>> format_value(0.1), format_value(2.5e-9), format_value(40), format_value(True)
    ('0.1', '2.5e-09', '40', 'true')
    >>> format_value("implicit"), format_value([1, 2])
    ('implicit', '[1, 2]')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return json.dumps(value)


def render(text: str, values: Mapping[str, Any]) -> str:
    """Substitute ``values`` into the template ``text`` (every name must be given).

    Parameters
    ----------
    text
        The template.
    values
        ``{name: value}`` for every name it uses.

    Returns
    -------
    str
        The file's text.
    """
    return Template(text).substitute({k: format_value(v) for k, v in values.items()})
