"""Discrete marginals: categorical, discrete-uniform, binomial and Poisson inputs.

Every design is drawn in the unit cube; a discrete input takes the value of its
law's inverse CDF there, ``x = min{k : F(k) >= u}``, so Monte Carlo, LHS, Sobol',
Halton and Saltelli designs, and the normal scores of Shapley's conditional draws,
all sample it with the right probabilities. A categorical input whose values are
strings is stored in the design as its codes ``0 .. k - 1`` (the position of the
value in ``values``), with the values in the design variable's ``categories``
attribute, and handed to the model as the strings themselves
(:func:`decode`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# scipy.stats (seconds to import) is imported by the law builders below, not here: the
# model evaluation imports this module, and `uqscale validate` imports that.

CATEGORIES = "categories"
"""Attribute of a design variable holding a string categorical's values (JSON list)."""


class DiscreteLaw:
    """A discrete marginal with the ``inv`` of a chaospy distribution.

    Parameters
    ----------
    law
        The frozen scipy law of the integers (or codes) the input takes.
    values
        For a categorical with numeric values: the value of each code; None: the
        law's integers are the values (also for string categories, kept as codes).
    """

    def __init__(self, law: Any, values: Sequence[float] | None = None) -> None:
        self.law = law
        self.values = None if values is None else np.asarray(values, dtype=float)

    def inv(self, unit: np.ndarray) -> np.ndarray:
        """The input's values at the points ``unit`` of ``(0, 1)``: the inverse CDF."""
        codes = np.asarray(self.law.ppf(np.asarray(unit, dtype=float)), dtype=float)
        if self.values is None:
            return codes
        return np.asarray(self.values[codes.astype(int)])

    def mean(self) -> float:
        """The input's mean (in codes for string categories)."""
        if self.values is None:
            return float(self.law.mean())
        return float(np.dot(self.law.pk, self.values))


def categorical(params: Mapping[str, Any]) -> DiscreteLaw:
    """The law of a ``categorical`` input: codes with the given probabilities
    (equal ones by default), mapped to the values where those are numbers."""
    from scipy import stats

    values = params["values"]
    probabilities = params.get("probabilities") or [1.0 / len(values)] * len(values)
    codes = np.arange(len(values))
    law = stats.rv_discrete(values=(codes, np.asarray(probabilities) / sum(probabilities)))
    return DiscreteLaw(law, None if is_string_valued(params) else values)


def discrete_uniform(params: Mapping[str, Any]) -> DiscreteLaw:
    """The law of a ``discrete_uniform`` input: the integers ``low .. high``, each
    equally likely."""
    from scipy import stats

    return DiscreteLaw(stats.randint(int(params["low"]), int(params["high"]) + 1))


def binomial(params: Mapping[str, Any]) -> DiscreteLaw:
    """The law of a ``binomial`` input: successes in ``n`` trials of probability ``p``."""
    from scipy import stats

    return DiscreteLaw(stats.binom(int(params["n"]), params["p"]))


def poisson(params: Mapping[str, Any]) -> DiscreteLaw:
    """The law of a ``poisson`` input of mean ``mu``."""
    from scipy import stats

    return DiscreteLaw(stats.poisson(params["mu"]))


def is_string_valued(params: Mapping[str, Any]) -> bool:
    """Whether a categorical input's values are strings (stored as codes)."""
    return any(isinstance(v, str) for v in params.get("values", ()))


def categories_of(design_variable: Any) -> tuple[str, ...] | None:
    """The string values of a design variable holding codes, or None."""
    text = design_variable.attrs.get(CATEGORIES)
    return None if text is None else tuple(json.loads(text))


def decode(codes: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """The string values of ``codes`` (floats holding ``0 .. k - 1``).

    Parameters
    ----------
    codes
        Codes as stored in the design.
    categories
        The values, in code order.

    Returns
    -------
    numpy.ndarray
        A numpy string array, the shape of ``codes`` (``.item()`` of an element is
        a Python string).

    Examples
    --------
    >>> decode(np.array([1.0, 0.0]), ("a", "b")).tolist()
    ['b', 'a']
    """
    names: np.ndarray = np.asarray(categories, dtype=str)
    return np.asarray(names[np.asarray(codes).astype(int)])
