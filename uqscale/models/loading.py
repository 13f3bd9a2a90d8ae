"""Importing a step's ``module:function``: from the study's folder first, then from
installed packages, in the launcher and in every Dask worker alike."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from uqscale.errors import StudyError

_cache: dict[tuple[str, str | None], tuple[Callable[..., Any], int | None]] = {}
"""Loaded functions with their module file's modification time: a long-lived
worker (``cluster: address``) reloads a module whose file changed meanwhile."""


def load_callable(
    spec: str | Callable[..., Any], base_dir: Path | None, path: str = "python"
) -> Callable[..., Any]:
    """Return the function named by ``spec`` (``"package.module:function"``), or
    ``spec`` itself when it is already a callable (a step built in Python).

    Parameters
    ----------
    spec
        ``module:function``; the module may be a dotted path. Or a callable.
    base_dir
        The study file's folder, searched before installed packages.
    path
        Field path used in errors, e.g. ``"models[0].python"``.

    Returns
    -------
    Callable[..., Any]
        The function (cached, and reloaded when its module's file has changed).

    Raises
    ------
    StudyError
        If the module cannot be imported or has no such function.
    """
    if callable(spec):
        return spec
    key = (spec, None if base_dir is None else str(base_dir))
    module_name, _, function_name = spec.partition(":")
    if key in _cache:
        function, stamp = _cache[key]
        if _stamp(sys.modules.get(module_name)) == stamp:
            return function
        _forget(module_name)
    module = _import(module_name, base_dir, path)
    found: Callable[..., Any] | None = getattr(module, function_name, None)
    if not callable(found):
        raise StudyError(path, f"module '{module_name}' has no function '{function_name}'")
    _cache[key] = found, _stamp(module)
    return found


def _stamp(module: ModuleType | None) -> int | None:
    """Modification time of a module's file (None: no file, or gone)."""
    origin = getattr(module, "__file__", None)
    try:
        return os.stat(origin).st_mtime_ns if origin else None
    except OSError:
        return None


def _forget(module_name: str) -> None:
    """Drop a module (and its parent package's cached submodule) so that the next
    import reads its file again."""
    sys.modules.pop(module_name, None)
    importlib.invalidate_caches()


def _import(module_name: str, base_dir: Path | None, path: str) -> ModuleType:
    top = module_name.split(".")[0]
    local = base_dir is not None and (
        (base_dir / top).is_dir() or (base_dir / f"{top}.py").is_file()
    )
    if local and base_dir is not None:
        _forget_if_elsewhere(top, base_dir)
        sys.path.insert(0, str(base_dir))
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        where = f" (looked in {base_dir} and installed packages)" if base_dir else ""
        raise StudyError(path, f"cannot import '{module_name}'{where}: {error}") from None
    except Exception as error:  # the model's own module failed while importing
        raise StudyError(
            path, f"importing '{module_name}' raised {type(error).__name__}: {error}"
        ) from None
    finally:
        if local:
            sys.path.remove(str(base_dir))


def _forget_if_elsewhere(top: str, base_dir: Path) -> None:
    """Drop an already imported package of the same name from another folder (two
    studies with a ``models`` package each, run in one process)."""
    module = sys.modules.get(top)
    origin = getattr(module, "__file__", None) if module else None
    if origin and not Path(origin).resolve().is_relative_to(base_dir.resolve()):
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]


def callable_name(function: Callable[..., Any]) -> str:
    """``module:qualified name`` of a callable, as a study file would name it.

    Examples
    --------
    >>> callable_name(lambda x: x)
    'uqscale.models.loading:<lambda>'
    """
    target = function if hasattr(function, "__qualname__") else type(function)
    return f"{getattr(target, '__module__', None) or '__main__'}:{target.__qualname__}"
