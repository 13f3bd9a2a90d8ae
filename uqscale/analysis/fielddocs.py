"""What each field of an options dataclass means: the docstring written under it.

The study-file reference (``docs/_ext/uqscale_docs.py``) prints these meanings, and a
gate (``tests/test_gates.py``) checks that every field has one; both read them here,
from the source, without Sphinx.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap


def field_docs(options: type) -> dict[str, str]:
    """The docstrings written under the fields of a dataclass and its bases, read from
    the source as Sphinx's autodoc reads them.

    Parameters
    ----------
    options
        A dataclass (an analysis method's options).

    Returns
    -------
    dict[str, str]
        Each documented field's docstring, whitespace collapsed, by field name; a
        field of a subclass overrides its base's.
    """
    found: dict[str, str] = {}
    for cls in reversed(options.__mro__):
        if cls is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for field, following in itertools.pairwise(body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[field.target.id] = " ".join(following.value.value.split())
    return found
