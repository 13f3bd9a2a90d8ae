"""What an analysis method declares, in one object: :class:`Method`.

A method is one module (PCE, a large one, keeps its numerics in several) that defines
a frozen :class:`Options` dataclass and a ``METHOD = Method(...)``, and one line in
:mod:`uqscale.analysis.registry`. This module and every declaration are light: building
a study reads and checks the options without importing numpy, xarray, scipy or SALib;
the numerical parts (``sample``, ``analyze``) are imported when first called.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.space import InputSpace

RULES = ("random", "lhs", "sobol", "halton")
"""Designs drawn in the unit cube (:func:`uqscale.sampling.unit_sample`)."""
REQUIRED: Any = object()
"""The default of an option the study must give."""

Reader = Callable[[Any, str], Any]
"""Reads an option's value as written, at a field path; raises StudyError if wrong."""


def integer(minimum: int) -> Reader:
    """A reader of integers of at least ``minimum``."""
    return lambda value, path: fields.integer(value, path, minimum)


def one_of(*choices: str) -> Reader:
    """A reader of one of ``choices``."""
    return lambda value, path: fields.choice(value, path, choices)


def probability(value: Any, path: str) -> float:
    """A number strictly between 0 and 1.

    Parameters
    ----------
    value
        As written.
    path
        Its field path, for the error.

    Returns
    -------
    float
        The probability.
    """
    p = fields.number(value, path)
    if not 0 < p < 1:
        raise StudyError(path, f"must lie strictly between 0 and 1 (got {p:g})")
    return p


def probabilities(value: Any, path: str) -> tuple[float, ...]:
    """A list of :func:`probability` values.

    Parameters
    ----------
    value
        As written.
    path
        Its field path, for the error.

    Returns
    -------
    tuple of float
        The probabilities.
    """
    items = fields.sequence(value, path)
    return tuple(probability(p, fields.join(path, i)) for i, p in enumerate(items))


boolean: Reader = fields.boolean
"""A reader of ``true``/``false``."""


DROP_BIAS = (
    "dropping failed base samples biases the estimate when the failures depend on the inputs"
)
"""Attribute ``warning`` of an estimate from which ``failures: drop`` dropped samples."""


def failures_option() -> Any:
    """Option ``failures`` of an estimator that pairs rows (Saltelli, Morris): ``fail``
    (default: an output with failed samples is not estimated, the others are) or
    ``drop`` (estimate on the base samples or trajectories without a failed row)."""
    return option(one_of("fail", "drop"), "fail")


def option(read: Reader, default: Any = None) -> Any:
    """A field of an :class:`Options` dataclass: how to read it, and its default.

    Parameters
    ----------
    read
        ``read(value, path)`` returns the value checked (and converted).
    default
        The value when the study leaves the option out; :data:`REQUIRED` makes it
        compulsory; ``None`` where the default depends on the study (a sample count).

    Returns
    -------
    dataclasses.Field
        The field, for an :class:`Options` dataclass.
    """
    return dataclasses.field(default=default, metadata={"read": read})


@dataclass(frozen=True)
class Options(Mapping[str, Any]):
    """Base of every method's options: a frozen dataclass that also reads as a mapping
    (``options["n"]``, ``options.get("rule")``), in field order."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def check(self, path: str) -> None:
        """Checks across options (override); ``path`` is the analysis' field path."""


def read_options(method: Method, given: Mapping[str, Any], path: str) -> Options:
    """Check a method's options as written and fill in the defaults.

    Parameters
    ----------
    method
        The method the analysis asks for.
    given
        The options as written (without ``method`` and ``label``).
    path
        Field path of the analysis entry, e.g. ``"analysis[0]"``.

    Returns
    -------
    Options
        Every option of the method, given or default.
    """
    spec = {f.name: f for f in dataclasses.fields(method.options)}
    fields.check_keys(given, path, spec)
    values = {}
    for name, item in spec.items():
        if given.get(name) is not None:
            values[name] = item.metadata["read"](given[name], fields.join(path, name))
        elif item.default is REQUIRED:
            raise StudyError(fields.join(path, name), f"is required for method {method.name}")
        else:
            values[name] = item.default
    options = method.options(**values)
    options.check(path)
    return options


class Lazy:
    """A function named ``"module:name"``, imported when first called (so that a
    declaration does not import its numerics), looked up at every call."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Lazy({self.target!r})"


def never(options: Mapping[str, Any]) -> bool:
    """A predicate that holds for no options."""
    return False


GENERIC_ENTRY = Lazy("uqscale.analysis.entries:method_entry")
"""Every variable a method gives, in the indices.json shape (the usual ``entry``)."""


@dataclass(frozen=True)
class SectionSpec:
    """A report section a method brings: where it goes among the others (``place``,
    ascending: moments 10, indices 20-40, Morris 50, grey zone 60, PCE 70), its anchor
    and title, and ``build(data, look, found) -> Section | None`` with ``found`` the
    ``(label, output, dataset)`` of the method's analyses."""

    place: int
    id: str
    title: str
    build: Callable[..., Any]


@dataclass(frozen=True)
class Method:
    """One analysis method, everything the rest of uqscale needs to know about it.

    Attributes
    ----------
    name
        What ``method:`` says in a study file.
    options
        Its :class:`Options` dataclass (defaults, readers, cross checks).
    sampling
        The options its design depends on; the others change only the estimates, so
        the same samples serve (and the design block keeps its random stream).
    sample
        ``sample(space, options, rng) -> ndarray (n, d)``: the design, in the inputs'
        physical units (None for an analysis uqscale derives from the others).
    analyze
        ``analyze(space, options, design, results, rng) -> {output: Dataset}``; raises
        :class:`uqscale.analysis.common.AnalysisError` when it cannot be computed.
    iid
        ``iid(options)``: whether the design's rows are independent draws from the joint
        distribution that other analyses may reuse.
    reuses
        ``reuses(options)``: whether the analysis takes the largest i.i.d. block of
        another analysis instead of drawing its own (moments without ``n``).
    takes_any_iid
        ``takes_any_iid(options)``: whether ``uqscale analyze --study`` may run it on
        an i.i.d. block drawn for another analysis.
    indices
        Whether its results hold Sobol indices ``S1``/``ST`` over ``input`` (the
        report's sensitivity, scale and field sections; the grey-zone measures).
    summary
        Result variables listed input by input in the terminal summary.
    sections
        Report sections of its own (:class:`SectionSpec`).
    entry
        ``entry(dataset) -> dict``: one output's results in ``indices.json``.
    footprint
        ``footprint(options, inputs) -> (rows, bytes, option) | None``: rows of its
        design, bytes its sampling and fitting hold, and the option that sets them
        (:mod:`uqscale.study.budget` refuses what would not fit in memory); None where
        it is not estimated. Light: called when a study is validated.
    dependent_inputs
        Whether its estimates keep their meaning when inputs are correlated (a
        ``correlation:`` block); the others assume independent inputs and are refused
        for such a study.
    continuous_only
        Whether it needs every input continuous (a density, an orthogonal basis, a
        difference quotient); a study with a discrete input (categorical,
        discrete_uniform, binomial, poisson) is refused for it.
    """

    name: str
    options: type[Options]
    sampling: tuple[str, ...]
    sample: Callable[[InputSpace, Mapping[str, Any], np.random.Generator], np.ndarray] | None
    analyze: Callable[..., dict[str, xr.Dataset]]
    iid: Callable[[Mapping[str, Any]], bool] = never
    reuses: Callable[[Mapping[str, Any]], bool] = never
    takes_any_iid: Callable[[Mapping[str, Any]], bool] = never
    indices: bool = False
    summary: tuple[str, ...] = ()
    sections: tuple[SectionSpec, ...] = ()
    entry: Callable[[xr.Dataset], dict[str, Any]] = GENERIC_ENTRY
    footprint: Callable[[Options, int], tuple[int, int, str] | None] | None = None
    dependent_inputs: bool = False
    continuous_only: bool = False  # h19 (issue 19.3)

    def read(self, given: Mapping[str, Any], path: str) -> Options:
        """:func:`read_options` of this method.

        Parameters
        ----------
        given
            The options as written.
        path
            Field path of the analysis entry.

        Returns
        -------
        Options
            Checked, with defaults.
        """
        return read_options(self, given, path)

    def sampling_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options its design depends on, by name."""
        return {k: v for k, v in options.items() if k in self.sampling}
