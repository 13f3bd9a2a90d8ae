"""The distributions a study may name: their parameters, checks and chaospy form.

Validation needs only this table, so it runs without importing chaospy; chaospy is
imported when a distribution is first built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from uqscale.errors import StudyError

Problem = tuple[str, str] | None
"""A check's finding: the parameter at fault and what is wrong, or None."""
Check = Callable[[Mapping[str, Any]], Problem]


@dataclass(frozen=True)
class Family:
    """One distribution family as users write it in a study file."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[Mapping[str, Any]], Any]
    """The marginal: a chaospy distribution, or a :class:`~uqscale.discrete.DiscreteLaw`."""
    check: Check
    discrete: bool = False
    """Whether the input takes countably many values (no density; no PCE basis)."""


def _uniform(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.Uniform(p["low"], p["high"])


def _normal(p: Mapping[str, Any]) -> Any:
    import chaospy

    if "lower" in p or "upper" in p:
        return chaospy.TruncNormal(
            p.get("lower", -math.inf), p.get("upper", math.inf), p["mean"], p["std"]
        )
    return chaospy.Normal(p["mean"], p["std"])


def _lognormal(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.LogNormal(p["mu"], p["sigma"])


def _loguniform(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.LogUniform(math.log(p["low"]), math.log(p["high"]))


def _beta(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.Beta(p["alpha"], p["beta"], p.get("low", 0.0), p.get("high", 1.0))


def _gamma(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.Gamma(p["shape"], p["theta"], p.get("shift", 0.0))


def _triangular(p: Mapping[str, Any]) -> Any:
    import chaospy

    return chaospy.Triangle(p["low"], p["mode"], p["high"])


def _positive(*names: str) -> Check:
    def check(p: Mapping[str, Any]) -> Problem:
        for name in names:
            if name in p and p[name] <= 0:
                return name, f"must be positive (got {p[name]:g})"
        return None

    return check


def _ordered(
    low: str,
    high: str,
    also: Check | None = None,
    defaults: tuple[float, float] = (-math.inf, math.inf),
) -> Check:
    def check(p: Mapping[str, Any]) -> Problem:
        lo, hi = p.get(low, defaults[0]), p.get(high, defaults[1])
        if not hi > lo:
            return high, f"must be greater than {low} (got {low}={lo:g}, {high}={hi:g})"
        return also(p) if also else None

    return check


TAIL = 6.0
"""How many standard deviations beyond the mean a truncation may start: chaospy's
truncated normal loses accuracy past about 7."""


def _check_normal(p: Mapping[str, Any]) -> Problem:
    problem = _positive("std")(p) or _ordered("lower", "upper")(p)
    if problem:
        return problem
    for bound, sign in (("lower", 1), ("upper", -1)):
        if bound in p and sign * (p[bound] - p["mean"]) > TAIL * p["std"]:
            return bound, (
                f"keeps only the normal's tail beyond {TAIL:g} standard deviations "
                f"(got mean={p['mean']:g}, std={p['std']:g}, {bound}={p[bound]:g}); "
                f"describe this input with another distribution"
            )
    return None


def _check_loguniform(p: Mapping[str, Any]) -> Problem:
    return _positive("low")(p) or _ordered("low", "high")(p)


def _check_triangular(p: Mapping[str, Any]) -> Problem:
    if not p["low"] <= p["mode"] <= p["high"]:
        return "mode", (
            f"must lie between low and high (got low={p['low']:g}, "
            f"mode={p['mode']:g}, high={p['high']:g})"
        )
    return None


LIST_PARAMETERS = ("values", "probabilities")
"""Parameters written as lists (of a categorical input); every other one is a number."""
PROBABILITY_TOLERANCE = 1e-6
"""How far from 1 a categorical's probabilities may sum (rounding in a study file)."""


def _check_categorical(p: Mapping[str, Any]) -> Problem:
    values = p["values"]
    if not isinstance(values, tuple) or len(values) < 2:
        return "values", "must list at least two values (one value is a constant, not an input)"
    kinds = {isinstance(v, str) for v in values}
    if len(kinds) > 1 or any(isinstance(v, bool) for v in values):
        return "values", f"must be all strings or all numbers (got {list(values)})"
    if len(set(values)) < len(values):
        twice = next(v for k, v in enumerate(values) if v in values[:k])
        return "values", f"{twice!r} appears twice; values must be unique"
    if kinds == {False} and not all(math.isfinite(v) for v in values):
        return "values", f"must be finite numbers (got {list(values)})"
    if "probabilities" not in p:
        return None
    probabilities = p["probabilities"]
    if not isinstance(probabilities, tuple) or len(probabilities) != len(values):
        return "probabilities", f"must give one probability per value ({len(values)})"
    for k, q in enumerate(probabilities):
        if isinstance(q, str | bool) or not 0 <= q <= 1:
            return f"probabilities[{k}]", f"must be a number in [0, 1] (got {q!r})"
    if abs(sum(probabilities) - 1) > PROBABILITY_TOLERANCE:
        return "probabilities", f"must sum to 1 (got {sum(probabilities):.6g})"
    return None


def _integers(*names: str) -> Check:
    def check(p: Mapping[str, Any]) -> Problem:
        for name in names:
            if not float(p[name]).is_integer():
                return name, f"must be an integer (got {p[name]:g})"
        return None

    return check


def _check_binomial(p: Mapping[str, Any]) -> Problem:
    problem = _integers("n")(p)
    if problem:
        return problem
    if p["n"] < 1:
        return "n", f"must be at least 1 (got {p['n']:g})"
    if not 0 < p["p"] < 1:
        return "p", f"must lie strictly between 0 and 1 (got {p['p']:g})"
    return None


def _discrete(build_name: str) -> Callable[[Mapping[str, Any]], Any]:
    def build(p: Mapping[str, Any]) -> Any:
        from uqscale import discrete

        return getattr(discrete, build_name)(p)

    return build


FAMILIES: dict[str, Family] = {
    "uniform": Family(("low", "high"), (), _uniform, _ordered("low", "high")),
    "normal": Family(("mean", "std"), ("lower", "upper"), _normal, _check_normal),
    "lognormal": Family(("mu", "sigma"), (), _lognormal, _positive("sigma")),
    "loguniform": Family(("low", "high"), (), _loguniform, _check_loguniform),
    "beta": Family(
        ("alpha", "beta"),
        ("low", "high"),
        _beta,
        lambda p: _positive("alpha", "beta")(p) or _ordered("low", "high", defaults=(0.0, 1.0))(p),
    ),
    # ``theta`` (the gamma scale parameter): ``scale`` names an input's scale group.
    "gamma": Family(("shape", "theta"), ("shift",), _gamma, _positive("shape", "theta")),
    "triangular": Family(
        ("low", "mode", "high"), (), _triangular, _ordered("low", "high", _check_triangular)
    ),
    "categorical": Family(
        ("values",), ("probabilities",), _discrete("categorical"), _check_categorical, True
    ),
    "discrete_uniform": Family(
        ("low", "high"),
        (),
        _discrete("discrete_uniform"),
        lambda p: _integers("low", "high")(p) or _ordered("low", "high")(p),
        True,
    ),
    "binomial": Family(("n", "p"), (), _discrete("binomial"), _check_binomial, True),
    "poisson": Family(("mu",), (), _discrete("poisson"), _positive("mu"), True),
}


def check_parameters(distribution: str, params: Mapping[str, Any], path: str) -> None:
    """Refuse parameters that do not define a proper distribution.

    Parameters
    ----------
    distribution
        A key of :data:`FAMILIES`.
    params
        The parameter values, already checked to be numbers.
    path
        Field path of the input, used in the error.

    Raises
    ------
    StudyError
        Naming the parameter at fault, e.g. ``inputs.x1.high: must be greater than low``.
    """
    family = FAMILIES[distribution]
    for name in family.required:
        if name not in params:
            raise StudyError(f"{path}.{name}", f"is required for a {distribution} distribution")
    for name, value in params.items():
        if (name in LIST_PARAMETERS) != isinstance(value, tuple):
            kind = "a list" if name in LIST_PARAMETERS else "a number"
            raise StudyError(f"{path}.{name}", f"must be {kind} (got {type(value).__name__})")
    problem = family.check(params) or _representable(distribution, params)
    if problem:
        raise StudyError(f"{path}.{problem[0]}", problem[1])


LARGEST = 1e100
"""Largest magnitude of an input's mean, spread and extreme quantiles: the analyses
square and multiply values (moments, polynomials), which must stay finite."""
SMALLEST = 1e-100
"""Smallest magnitude of a non-zero bound (below it, logarithms and ratios lose all
precision, or the value is subnormal)."""
Z = 6.0
"""Standard normal quantile of about 1e-9: how far the extreme quantiles reach."""


def _summary(distribution: str, p: Mapping[str, Any]) -> tuple[str, dict[str, float]]:
    """The parameter that sets the scale of the distribution, and its mean, standard
    deviation and 1e-9 / 1 - 1e-9 quantiles (or bounds), in logarithms where the
    values themselves may overflow (``log_*``)."""
    if distribution == "categorical":
        numbers = [v for v in p["values"] if not isinstance(v, str)] or [1.0]
        return "values", {"high": max(map(abs, numbers)), "spread": max(numbers) - min(numbers)}
    if distribution == "binomial":
        return "n", {"high": p["n"], "spread": p["n"]}
    if distribution == "poisson":
        return "mu", {"high": p["mu"] + Z * math.sqrt(p["mu"]), "spread": p["mu"]}
    if distribution in ("uniform", "triangular", "discrete_uniform"):
        return "high", {"low": p["low"], "high": p["high"], "spread": p["high"] - p["low"]}
    if distribution == "normal":
        return "std", {
            "low": max(p.get("lower", -math.inf), p["mean"] - Z * p["std"]),
            "high": min(p.get("upper", math.inf), p["mean"] + Z * p["std"]),
            "spread": p["std"],
        }
    if distribution == "lognormal":
        # log of the mean, mu + sigma^2 / 2, and of the upper quantile.
        return "sigma", {
            "log_mean": p["mu"] + p["sigma"] ** 2 / 2,
            "log_high": p["mu"] + Z * p["sigma"],
            "log_low": p["mu"] - Z * p["sigma"],
        }
    if distribution == "loguniform":
        return "low", {"low": p["low"], "high": p["high"]}
    if distribution == "beta":
        # The density's normalising constant 1 / B(alpha, beta).
        log_beta = (
            math.lgamma(p["alpha"]) + math.lgamma(p["beta"]) - math.lgamma(p["alpha"] + p["beta"])
        )
        return "alpha", {
            "low": p.get("low", 0.0),
            "high": p.get("high", 1.0),
            "log_normaliser": -log_beta,
        }
    mean = p["shape"] * p["theta"] + p.get("shift", 0.0)  # gamma
    std = math.sqrt(p["shape"]) * p["theta"]
    return "shape", {
        "mean": mean,
        "high": mean + Z * std * (1 + 1 / math.sqrt(p["shape"])),
        "log_normaliser": -math.lgamma(p["shape"]),
    }


def _representable(distribution: str, params: Mapping[str, float]) -> tuple[str, str] | None:
    """Refuse parameters whose moments or extreme quantiles are not finite (or beyond
    :data:`LARGEST`), which no analysis could compute with."""
    try:
        name, values = _summary(distribution, params)
    except (OverflowError, ValueError, ZeroDivisionError):
        values, name = {"value": math.inf}, FAMILIES[distribution].required[0]
    limit = math.log(LARGEST)
    for key, value in values.items():
        plain = not key.startswith("log_")
        bad = (
            not math.isfinite(value)
            or (abs(value) > LARGEST if plain else abs(value) > limit)
            or (plain and key != "spread" and value != 0 and abs(value) < SMALLEST)
        )
        if bad:
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            return name, (
                f"gives a distribution whose moments or quantiles are not finite "
                f"numbers within 1e-100 .. 1e100 in magnitude ({key.removeprefix('log_')}"
                f"{' (log)' if not plain else ''} = {value:g}; got {shown}); rescale "
                f"the input (units) or choose other parameters"
            )
    return None


def build(distribution: str, params: Mapping[str, Any]) -> Any:
    """Return the marginal of a checked input.

    Parameters
    ----------
    distribution
        The family's name in the study file (a key of :data:`FAMILIES`).
    params
        Its parameters, already checked.

    Returns
    -------
    Any
        A chaospy distribution, or a :class:`~uqscale.discrete.DiscreteLaw` for a
        discrete family.
    """
    return FAMILIES[distribution].build(params)
