"""The analysis methods a study may ask for, and the options each accepts.

Declarative and light: validating a study imports this, never numpy or SALib.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from uqscale.errors import StudyError
from uqscale.study import fields

RULES = ("random", "lhs", "sobol", "halton")
REQUIRED = object()


@dataclass(frozen=True)
class Option:
    """One option of a method: how to read it, and its default."""

    read: Callable[[Any, str], Any]
    default: Any = None


def _int(minimum: int) -> Callable[[Any, str], int]:
    return lambda value, path: fields.integer(value, path, minimum)


def _one_of(*options: str) -> Callable[[Any, str], str]:
    return lambda value, path: fields.choice(value, path, options)


def _probability(value: Any, path: str) -> float:
    p = fields.number(value, path)
    if not 0 < p < 1:
        raise StudyError(path, f"must lie strictly between 0 and 1 (got {p:g})")
    return p


def _probabilities(value: Any, path: str) -> tuple[float, ...]:
    items = fields.sequence(value, path)
    return tuple(_probability(p, fields.join(path, i)) for i, p in enumerate(items))


_CONFIDENCE = {"resamples": Option(_int(10), 100), "conf_level": Option(_probability, 0.95)}

METHODS: dict[str, dict[str, Option]] = {
    "moments": {
        "n": Option(_int(2)),
        "rule": Option(_one_of(*RULES), "sobol"),
        "quantiles": Option(_probabilities, (0.05, 0.25, 0.5, 0.75, 0.95)),
    },
    "pce": {
        "order": Option(_int(1), REQUIRED),
        "design": Option(_one_of("regression", "quadrature"), "regression"),
        "n": Option(_int(2)),
        "rule": Option(_one_of(*RULES), "sobol"),
        "quadrature": Option(_one_of("gaussian", "clenshaw_curtis", "leja"), "gaussian"),
        "sparse": Option(fields.boolean, False),
        "second_order": Option(fields.boolean, True),
    },
    "sobol": {
        "n": Option(_int(2), REQUIRED),
        "second_order": Option(fields.boolean, False),
        **_CONFIDENCE,
    },
    "morris": {
        "trajectories": Option(_int(2), 10),
        "levels": Option(_int(2), 4),
        **_CONFIDENCE,
    },
}
"""Options per method; ``label`` (the key in results, default the method) is common."""


def read_options(method: str, options: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Check a method's options and fill in defaults.

    Parameters
    ----------
    method
        One of :data:`METHODS`.
    options
        The options as written (without ``method`` and ``label``).
    path
        Field path of the analysis entry, e.g. ``"analysis[0]"``.

    Returns
    -------
    dict
        Every option of the method, given or default (``None`` where a default
        depends on the study, such as a PCE regression's sample count).
    """
    spec = METHODS[method]
    fields.check_keys(options, path, spec)
    result = {}
    for name, option in spec.items():
        if options.get(name) is not None:
            value = options[name]
            result[name] = option.read(value, fields.join(path, name))
        elif option.default is REQUIRED:
            raise StudyError(fields.join(path, name), f"is required for method {method}")
        else:
            result[name] = option.default
    if method == "sobol" and result["n"] & (result["n"] - 1):
        raise StudyError(fields.join(path, "n"),
                         f"must be a power of 2 for Saltelli sampling (got {result['n']})")
    return result
