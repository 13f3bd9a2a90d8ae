"""Distribution shorthands of the Python API: ``Uniform(0, 1, scale="micro")`` is the
input a study file writes ``{distribution: uniform, low: 0, high: 1, scale: micro}``.

One function per family of :data:`uqscale.distributions.FAMILIES`, made from its
table so that the two cannot drift apart. Each returns an unnamed
:class:`~uqscale.study.model.UncertainInput`; :class:`~uqscale.study.model.Study`
names it after its key in ``inputs={"x1": Uniform(0, 1)}``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from uqscale.distributions import FAMILIES
from uqscale.study.model import UncertainInput

NAMES = {
    "uniform": "Uniform",
    "normal": "Normal",
    "lognormal": "LogNormal",
    "loguniform": "LogUniform",
    "beta": "Beta",
    "gamma": "Gamma",
    "triangular": "Triangular",
    "categorical": "Categorical",
    "discrete_uniform": "DiscreteUniform",
    "binomial": "Binomial",
    "poisson": "Poisson",
}
"""The shorthand's name of each distribution family."""


def shorthand(distribution: str) -> Callable[..., UncertainInput]:
    """The constructor of a family's inputs: its required parameters by position or
    keyword, its optional ones, ``scale`` and ``units`` by keyword.

    Examples
    --------
    >>> Normal = shorthand("normal")
    >>> Normal(0, 1, units="m").to_dict()
    {'distribution': 'normal', 'mean': 0.0, 'std': 1.0, 'units': 'm'}
    """
    family = FAMILIES[distribution]

    def make(
        *args: Any, scale: str | None = None, units: str | None = None, **kw: Any
    ) -> UncertainInput:
        signature.bind(*args, scale=scale, units=units, **kw)  # TypeError as for a def
        params = dict(zip(family.required, args, strict=False))
        params |= {k: v for k, v in kw.items() if v is not None}
        return UncertainInput("", distribution, params, scale=scale, units=units)

    keyword = inspect.Parameter.KEYWORD_ONLY
    signature = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in family.required]
        + [inspect.Parameter(p, keyword, default=None) for p in family.optional]
        + [inspect.Parameter(p, keyword, default=None) for p in ("scale", "units")]
    )
    make.__signature__ = signature  # type: ignore[attr-defined]
    make.__name__ = make.__qualname__ = NAMES[distribution]
    make.__doc__ = (
        f"A {distribution} input ({', '.join(family.required + family.optional)}), "
        f"optionally with a ``scale`` group and ``units``."
    )
    return make


Uniform = shorthand("uniform")
Normal = shorthand("normal")
LogNormal = shorthand("lognormal")
LogUniform = shorthand("loguniform")
Beta = shorthand("beta")
Gamma = shorthand("gamma")
Triangular = shorthand("triangular")
Categorical = shorthand("categorical")
DiscreteUniform = shorthand("discrete_uniform")
Binomial = shorthand("binomial")
Poisson = shorthand("poisson")
