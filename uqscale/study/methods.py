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


def _order(value: Any, path: str) -> int | str:
    if value == "auto":
        return value
    if isinstance(value, str):
        raise StudyError(path, f"must be an integer or 'auto' (got {value!r})")
    return fields.integer(value, path, 1)


def _q_norm(value: Any, path: str) -> float:
    q = fields.number(value, path)
    if not 0 < q <= 1:
        raise StudyError(path, f"must lie in (0, 1] (got {q:g})")
    return q


def _check_pce(options: Mapping[str, Any], path: str) -> None:
    """Options of a PCE that only make sense together."""
    auto = options["order"] == "auto"
    if options["max_order"] is not None and not auto:
        raise StudyError(fields.join(path, "max_order"), "applies only with order: auto")
    if options["design"] != "quadrature":
        return
    for name, allowed in (("order", not auto), ("solver", options["solver"] in (None, "ols")),
                          ("cv", options["cv"] == "loo")):
        if not allowed:
            raise StudyError(fields.join(path, name),
                             f"{options[name]!r} needs design: regression")


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
        "order": Option(_order, REQUIRED),
        "design": Option(_one_of("regression", "quadrature"), "regression"),
        "n": Option(_int(2)),
        "rule": Option(_one_of(*RULES), "sobol"),
        "quadrature": Option(_one_of("gaussian", "clenshaw_curtis", "leja"), "gaussian"),
        "sparse": Option(fields.boolean, False),
        "second_order": Option(fields.boolean, True),
        # regression: None defaults are resolved by uqscale.analysis.pce.settings
        "max_order": Option(_int(1)),
        "solver": Option(_one_of("ols", "omp", "lars")),
        "q_norm": Option(_q_norm),
        "cv": Option(_one_of("loo", "kfold"), "loo"),
        "folds": Option(_int(2), 5),
        "bootstrap": Option(_int(0), 100),
        "conf_level": Option(_probability, 0.95),
        "convergence": Option(fields.boolean, True),
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
    if method == "pce":
        _check_pce(result, path)
    if method == "sobol" and result["n"] & (result["n"] - 1):
        raise StudyError(fields.join(path, "n"),
                         f"must be a power of 2 for Saltelli sampling (got {result['n']})")
    return result
