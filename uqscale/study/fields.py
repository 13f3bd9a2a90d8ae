"""Small typed readers for study-file fields; every error names its field path."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

from uqscale.errors import StudyError


def join(path: str, key: str | int) -> str:
    """Return the path of ``key`` inside the field at ``path``.

    Parameters
    ----------
    path
        The enclosing field's path (``""`` at the top of the file).
    key
        A mapping key, or a list position.

    Returns
    -------
    str
        ``path.key``, ``path[key]`` for a position, or ``key`` alone at the top.

    Examples
    --------
    >>> join("models", 1), join("inputs", "x1"), join("", "seed")
    ('models[1]', 'inputs.x1', 'seed')
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def type_name(value: Any) -> str:
    """Name a value's YAML type the way a user writes it."""
    names = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping with string keys.

    Parameters
    ----------
    value
        The field as read from the file.
    path
        Its field path, named in the error.

    Returns
    -------
    Mapping[str, Any]
        ``value`` itself.
    """
    if not isinstance(value, Mapping):
        raise StudyError(path, f"must be a mapping (got {type_name(value)})")
    for key in value:
        if not isinstance(key, str):
            raise StudyError(path, f"keys must be strings (got {key!r})")
    return value


def check_keys(
    value: Mapping[str, Any], path: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    """Refuse unknown keys (suggesting the closest known one) and missing ones.

    Parameters
    ----------
    value
        A mapping read from the file.
    path
        The mapping's field path; an error names the key inside it.
    allowed
        Every key the mapping may hold.
    required
        The keys it must hold.
    """
    allowed = list(allowed)
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
            raise StudyError(join(path, key), f"unknown key ({hint})")
    for key in required:
        if key not in value:
            raise StudyError(join(path, key), "is required")


def sequence(value: Any, path: str) -> list[Any]:
    """Return ``value`` as a list, refusing strings and mappings.

    Parameters
    ----------
    value
        The field as read (a YAML list, or a tuple from Python).
    path
        Its field path, for the error.

    Returns
    -------
    list[Any]
        The items, in order.
    """
    if not isinstance(value, list | tuple):
        raise StudyError(path, f"must be a list (got {type_name(value)})")
    return list(value)


def string(value: Any, path: str) -> str:
    """Return ``value`` if it is a non-empty string.

    Parameters
    ----------
    value
        The field as read.
    path
        The path an error names.

    Returns
    -------
    str
        ``value`` itself.
    """
    if not isinstance(value, str) or not value:
        raise StudyError(path, f"must be a non-empty string (got {type_name(value)})")
    return value


def identifier(value: Any, path: str) -> str:
    """Return ``value`` if it can name an input, output or keyword argument.

    Parameters
    ----------
    value
        The name as written in the file.
    path
        Where it was written (its field path), for the error.

    Returns
    -------
    str
        The name, a valid Python identifier.
    """
    text = string(value, path)
    if not text.isidentifier():
        raise StudyError(path, f"must be a valid Python identifier (got {text!r})")
    return text


def entry_point(value: Any, path: str) -> str:
    """Return ``value`` if it reads ``"module:function"``.

    Parameters
    ----------
    value
        The field as read, e.g. ``"models.heat:solve"``.
    path
        Its field path, e.g. ``"models[0].python"``.

    Returns
    -------
    str
        ``value`` unchanged (it is imported later, where the model runs).

    Examples
    --------
    >>> entry_point("linear", "models[0].python")
    Traceback (most recent call last):
    ...
    uqscale.errors.StudyError: models[0].python: must be 'module:function' (got 'linear')
    """
    text = string(value, path)
    module, _, function = text.partition(":")
    if not module or not function:
        raise StudyError(path, f"must be 'module:function' (got {text!r})")
    return text


def argument_list(value: Any, path: str) -> tuple[str, ...]:
    """Return a program and its arguments, ``[program, arg, ...]``, as a tuple.

    A single string is refused: no shell splits it into words.

    Parameters
    ----------
    value
        The field as read: a non-empty list of non-empty strings.
    path
        Its field path; an item's error names its position.

    Returns
    -------
    tuple[str, ...]
        The program followed by its arguments.
    """
    if isinstance(value, str):
        raise StudyError(
            path,
            "must be a list [program, arg, ...] (got string); no shell "
            "runs it, so give each argument as its own item",
        )
    items = sequence(value, path)
    if not items:
        raise StudyError(path, "must not be empty; give [program, arg, ...]")
    return tuple(string(item, join(path, k)) for k, item in enumerate(items))


PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
"""A study name (it names the run folder ``runs/NAME``) and each component of a file
name a step writes or reads: ASCII letters, digits, ``.``, ``_`` and ``-``, not
starting with ``.`` or ``-``, at most 100 characters."""


def plain_name(value: Any, path: str) -> str:
    """Return ``value`` if it matches :data:`PLAIN_NAME`.

    Parameters
    ----------
    value
        A study name or one component of a file name, as read.
    path
        The field path an error names.

    Returns
    -------
    str
        The name, unchanged.

    Examples
    --------
    >>> plain_name("heat-1.2", "study")
    'heat-1.2'
    """
    text = string(value, path)
    if not PLAIN_NAME.fullmatch(text):
        raise StudyError(
            path,
            f"must be a plain name: letters, digits, '.', '_' and '-', not "
            f"starting with '.' or '-', at most 100 characters (got {text!r})",
        )
    return text


def relative_path(value: Any, path: str) -> str:
    """Return ``value`` if it is a relative file name inside its folder: components
    separated by ``/``, each a :data:`PLAIN_NAME`.

    Parameters
    ----------
    value
        A file name a step writes or reads, relative to its work directory.
    path
        Its field path, e.g. ``models[1].results.file``.

    Returns
    -------
    str
        The file name as given (``/``-separated).

    Examples
    --------
    >>> relative_path("in/params.txt", "models[1].results.file")
    'in/params.txt'
    >>> relative_path("../a", "f")
    Traceback (most recent call last):
    ...
    uqscale.errors.StudyError: f: must be a relative path inside the work directory (got '../a')
    """
    text = string(value, path)
    if not all(PLAIN_NAME.fullmatch(part) for part in text.split("/")):
        raise StudyError(path, f"must be a relative path inside the work directory (got {text!r})")
    return text


def number(value: Any, path: str) -> float:
    """Return ``value`` as a finite float; booleans are refused.

    Parameters
    ----------
    value
        The field as read (an int or a float).
    path
        Its field path, for the error.

    Returns
    -------
    float
        The number.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudyError(path, f"must be a number (got {type_name(value)})")
    if not math.isfinite(value):
        raise StudyError(path, f"must be finite (got {value})")
    return float(value)


def integer(value: Any, path: str, minimum: int | None = None) -> int:
    """Return ``value`` if it is an integer not below ``minimum``.

    Parameters
    ----------
    value
        The field as read; booleans are refused.
    path
        Its field path, for the error.
    minimum
        The smallest value allowed (None: no bound).

    Returns
    -------
    int
        ``value`` itself.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise StudyError(path, f"must be an integer (got {type_name(value)})")
    if minimum is not None and value < minimum:
        raise StudyError(path, f"must be at least {minimum} (got {value})")
    return value


def boolean(value: Any, path: str) -> bool:
    """Return ``value`` if it is a boolean.

    Parameters
    ----------
    value
        The field as read (YAML ``true`` or ``false``).
    path
        Its field path, for the error.

    Returns
    -------
    bool
        ``value`` itself.
    """
    if not isinstance(value, bool):
        raise StudyError(path, f"must be true or false (got {type_name(value)})")
    return value


def choice(value: Any, path: str, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``options``.

    Parameters
    ----------
    value
        The field as read.
    path
        Its field path; the error suggests the closest option.
    options
        The values allowed.

    Returns
    -------
    str
        ``value`` itself.
    """
    options = list(options)
    if value not in options:
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "one of " + ", ".join(options)
        raise StudyError(path, f"unknown value {value!r} ({hint})")
    return cast(str, value)


def scalar_parameters(value: Any, path: str) -> dict[str, Any]:
    """Return model parameters: a mapping of identifiers to plain YAML values.

    Parameters
    ----------
    value
        A step's ``parameters:`` mapping as read.
    path
        Its field path; a bad name's error names its key.

    Returns
    -------
    dict[str, Any]
        A copy of the mapping, its values as given.
    """
    result = {}
    for key, item in mapping(value, path).items():
        identifier(key, join(path, key))
        result[key] = item
    return result
