"""Hashes of the code behind a study's model steps, so that a run never silently
mixes results of two versions of a model.

For a Python step: the file of the step's module and of the study folder's modules
it imports at its top (its helpers: modules, functions and classes it names); for a
command step: the program and its input templates; for a step given as a Python
callable: its source. Files are named relative to the study folder where they lie in it.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from types import ModuleType

from uqscale.models.loading import load_callable
from uqscale.study.model import Study


def code_hashes(study: Study) -> dict[str, str]:
    """``{file: sha256}`` of the code of every step of ``study``.

    Raises
    ------
    StudyError
        If a step's module cannot be imported (as :func:`load_callable`).
    """
    from uqscale.models.command import find_program

    files: set[Path] = set()
    inline: dict[str, str] = {}
    base = study.base_dir
    for index, step in enumerate(study.models):
        for spec, key in ((step.python, "python"), (step.parser, "parser")):
            if spec is not None:
                function = load_callable(spec, base, f"models[{index}].{key}")
                if callable(spec) or function.__module__ == "__main__":
                    # Defined in a script or notebook (and read back from study.yaml
                    # as __main__:NAME by resume in the same session): its own code.
                    inline[f"models[{index}].{key} {step.python_name}"] = _callable_sha256(function)
                    continue
                module = sys.modules[function.__module__]
                files.add(Path(module.__file__ or ""))
                if base is not None:
                    files.update(_helpers(module, base))
        if step.command is not None:
            files.add(Path(find_program(step.command[0], base, f"models[{index}].command[0]")))
            files.update((base or Path.cwd()) / template for template in step.files.values())
    hashes = {_name(path, base): _sha256(path) for path in sorted(files) if path.is_file()}
    return hashes | inline


def changed_file(recorded: dict[str, str], now: dict[str, str]) -> str | None:
    """The first file whose hash differs (or that appeared or went away), or None.

    Parameters
    ----------
    recorded
        ``{file: hash}`` stored with the run.
    now
        ``{file: hash}`` of the files today.

    Returns
    -------
    str or None
        The first changed file in sorted order, or None when nothing changed.

    Examples
    --------
    >>> changed_file({"m.py": "a", "h.py": "b"}, {"m.py": "a", "h.py": "c"})
    'h.py'
    >>> changed_file({"m.py": "a"}, {"m.py": "a"}) is None
    True
    """
    for name in sorted(set(recorded) | set(now)):
        if recorded.get(name) != now.get(name):
            return name
    return None


def _helpers(module: ModuleType, base: Path) -> set[Path]:
    """Files of the study folder's modules that ``module`` names at its top level."""
    root = base.resolve()
    found = set()
    for value in list(vars(module).values()):
        name = getattr(value, "__module__", None)
        source = (
            value
            if isinstance(value, ModuleType)
            else (sys.modules.get(name) if isinstance(name, str) else None)
        )
        origin = getattr(source, "__file__", None)
        if origin and Path(origin).resolve().is_relative_to(root):
            found.add(Path(origin))
    return found


def _name(path: Path, base: Path | None) -> str:
    resolved = path.resolve()
    if base is not None and resolved.is_relative_to(base.resolve()):
        return str(resolved.relative_to(base.resolve()))
    return str(resolved)


def _callable_sha256(function: object) -> str:
    """Hash of a callable's code: its source where Python can read it (a module or a
    notebook cell), else its cloudpickle form (code, constants and closure)."""
    import inspect

    try:
        code = inspect.getsource(function if inspect.isroutine(function) else type(function))
        data = code.encode()
    except (OSError, TypeError):
        import cloudpickle  # type: ignore[import-untyped]

        data = cloudpickle.dumps(function)
    return hashlib.sha256(data).hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
