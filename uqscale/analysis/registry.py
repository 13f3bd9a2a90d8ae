"""Every analysis method, by the name a study file gives it: one line per method.

Nothing else in uqscale tests a method's name: what differs between methods is
declared in their :class:`~uqscale.analysis.method.Method` (see CONTRIBUTING.md to add
one).
"""

from __future__ import annotations

from uqscale.analysis import moments, morris, pce_method, shapley, sobol
from uqscale.analysis.method import Method

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        moments.METHOD,
        pce_method.METHOD,
        sobol.METHOD,
        morris.METHOD,
        shapley.METHOD,
    )
}
"""Methods a study may ask for (``analysis: - method: NAME``)."""


def derived() -> dict[str, Method]:
    """Analyses uqscale adds itself after the others (the grey-zone measures of a
    resolution sweep), by name, which is also their label. Imported on demand: a
    study's validation does not need them."""
    from uqscale.analysis import greyzone

    return {greyzone.METHOD.name: greyzone.METHOD}


def method_of(name: str) -> Method:
    """The method ``name`` of :data:`METHODS` or :func:`derived`.

    Raises
    ------
    KeyError
        For a name no method has.
    """
    return METHODS.get(name) or derived()[name]
