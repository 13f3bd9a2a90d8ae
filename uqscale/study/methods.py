"""The analysis methods a study may ask for, as study validation reads them.

The methods themselves are declared in :mod:`uqscale.analysis.registry`; this module
keeps the names study validation imports. Light: no numpy, xarray or SALib.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from uqscale.analysis.method import RULES, Options
from uqscale.analysis.registry import METHODS

__all__ = ["METHODS", "RULES", "read_options"]


def read_options(method: str, options: Mapping[str, Any], path: str) -> Options:
    """:func:`uqscale.analysis.method.read_options` of the method named ``method`` (one
    of :data:`METHODS`): the options as written, checked, defaults filled in.

    Parameters
    ----------
    method
        The method's name.
    options
        The options as written (without ``method`` and ``label``).
    path
        Field path of the analysis entry, e.g. ``"analysis[0]"``.

    Returns
    -------
    Options
        Every option of the method.
    """
    return METHODS[method].read(options, path)
