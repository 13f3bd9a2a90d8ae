"""Library gates that a linter does not check: numpydoc sections on public functions.

Every public function or method (name not starting with ``_``, in a module not starting
with ``_``) with two or more parameters besides ``self``/``cls`` documents them in a
``Parameters`` section, and one that returns a value (an annotated return other than
``None``) has a ``Returns`` (or ``Yields``) section (issue 13, point 7).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "uqscale"


def public_modules() -> list[Path]:
    """Every module of the package whose path has no part starting with ``_``."""
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(part.startswith("_") for part in path.relative_to(PACKAGE).parts[:-1])
        and (path.name == "__init__.py" or not path.name.startswith("_"))
    )


def returns_value(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function's annotated return is something other than ``None``."""
    returns = function.returns
    if returns is None:
        return False
    return not (
        (isinstance(returns, ast.Constant) and returns.value in (None, "None"))
        or (isinstance(returns, ast.Name) and returns.id == "None")
    )


def parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Parameters of the function, ``self`` and ``cls`` not counted."""
    arguments = function.args
    names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
    names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
    return len([name for name in names if name not in ("self", "cls")])


def has_section(docstring: str, title: str) -> bool:
    """Whether ``docstring`` holds a numpydoc section ``title`` (underlined)."""
    lines = [line.strip() for line in docstring.splitlines()]
    return any(
        line == title and following.startswith("---")
        for line, following in itertools.pairwise(lines)
    )


def _public_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions and methods of module-level classes, not named ``_*``."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef
    found = [node for node in tree.body if isinstance(node, kinds)]
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and not cls.name.startswith("_"):
            found += [node for node in cls.body if isinstance(node, kinds)]
    return [node for node in found if not node.name.startswith("_")]


def problems(source: str) -> list[str]:
    """``"name (line): missing section"`` for every public function of ``source`` (at
    module level, or a method of a public class) that breaks the rule of this module."""
    found = []
    for node in _public_functions(ast.parse(source)):
        if parameter_count(node) < 2:
            continue
        docstring = ast.get_docstring(node) or ""
        if not has_section(docstring, "Parameters"):
            found.append(f"{node.name} (line {node.lineno}): no Parameters section")
        if returns_value(node) and not (
            has_section(docstring, "Returns") or has_section(docstring, "Yields")
        ):
            found.append(f"{node.name} (line {node.lineno}): no Returns section")
    return found


@pytest.mark.parametrize(
    "path",
    public_modules(),
    ids=lambda p: p.relative_to(PACKAGE).as_posix(),
)
def test_public_functions_have_numpydoc_sections(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8")) == []


def test_the_check_catches_a_missing_section() -> None:
    """Mutation: the same function with and without its sections."""
    documented = '''
def scaled(x: float, factor: float) -> float:
    """Return ``x * factor``.

    Parameters
    ----------
    x
        A number.
    factor
        Its scale.

    Returns
    -------
    float
        The product.
    """
    return x * factor
'''
    assert problems(documented) == []
    no_returns = documented.split("    Returns")[0] + '    """\n    return x * factor\n'
    assert problems(no_returns) == ["scaled (line 2): no Returns section"]
    bare = 'def scaled(x: float, factor: float) -> None:\n    """Scale."""\n'
    assert problems(bare) == ["scaled (line 1): no Parameters section"]
    private_or_single = "def _scaled(x, factor):\n    pass\n\ndef one(self, x):\n    pass\n"
    assert problems(private_or_single) == []


def undocumented_options() -> dict[str, list[str]]:
    """``{file: [field, ...]}`` of every registered method's options fields that have no
    meaning written under them."""
    from uqscale.analysis.fielddocs import field_docs
    from uqscale.analysis.registry import METHODS

    found: dict[str, list[str]] = {}
    for method in METHODS.values():
        written = field_docs(method.options)
        for cls in method.options.__mro__:
            if not dataclasses.is_dataclass(cls):
                continue
            own = cls.__dict__.get("__dataclass_fields__", {})
            missing = [name for name in own if not written.get(name)]
            if missing:
                path = Path(inspect.getsourcefile(cls) or "").resolve()
                found.setdefault(path.relative_to(PACKAGE).as_posix(), []).extend(missing)
    return found


def test_every_options_field_has_a_meaning() -> None:
    assert undocumented_options() == {}
