"""``method: pce``, declared: its options, its design and where it shows.

PCE is a large method: this light declaration is read when a study is built; the
numerics live in :mod:`uqscale.analysis.pce` (with ``adaptive``, ``sparse``,
``polynomials``, ``bootstrap`` and ``convergence``) and are imported when first used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uqscale.analysis.method import (
    REQUIRED,
    RULES,
    Lazy,
    Method,
    Options,
    SectionSpec,
    boolean,
    integer,
    one_of,
    option,
    probability,
)
from uqscale.errors import StudyError
from uqscale.study import fields

AUTO = "auto"


def _order(value: Any, path: str) -> int | str:
    if value == AUTO:
        return AUTO
    if isinstance(value, str):
        raise StudyError(path, f"must be an integer or 'auto' (got {value!r})")
    return fields.integer(value, path, 1)


def _q_norm(value: Any, path: str) -> float:
    q = fields.number(value, path)
    if not 0 < q <= 1:
        raise StudyError(path, f"must lie in (0, 1] (got {q:g})")
    return q


@dataclass(frozen=True)
class PceOptions(Options):
    """``method: pce``. ``None`` defaults of a regression (``n``, ``max_order``,
    ``solver``, ``q_norm``) depend on the order and the inputs: they are resolved by
    :func:`uqscale.analysis.pce.settings` and :func:`uqscale.analysis.pce.regression_size`."""

    order: int | str = option(_order, REQUIRED)
    """Total degree of the expansion, or ``auto``: solver, degree, truncation and terms
    chosen by the honest (cross-validated) error."""
    design: str = option(one_of("regression", "quadrature"), "regression")
    """``regression`` (least squares on random or low-discrepancy runs) or ``quadrature``
    (a cubature rule's nodes and weights)."""
    n: int | None = option(integer(2))
    """Regression runs; default twice the terms, or under ``order: auto`` 16 per input
    rounded up to a power of 2."""
    rule: str = option(one_of(*RULES), "sobol")
    """Sampling rule of the regression runs."""
    quadrature: str = option(one_of("gaussian", "clenshaw_curtis", "leja"), "gaussian")
    """Quadrature rule of ``design: quadrature``."""
    sparse: bool = option(boolean, False)
    """A Smolyak sparse grid instead of the full tensor grid (``design: quadrature``)."""
    second_order: bool = option(boolean, True)
    """Also report the second-order indices ``S2``."""
    max_order: int | None = option(integer(1))
    """Highest degree ``order: auto`` tries (default 20)."""
    solver: str | None = option(one_of("ols", "omp", "lars"))
    """``ols`` (every term), ``omp`` or ``lars`` (a sparse path); default ``ols`` at a
    given order, under ``order: auto`` ``ols`` and ``omp``."""
    q_norm: float | None = option(_q_norm)
    """Hyperbolic truncation in (0, 1] (1: total degree); default 1 at a given order,
    under ``order: auto`` 0.5, 0.75 and 1 are tried."""
    cv: str = option(one_of("loo", "kfold"), "loo")
    """Error of least squares at a given order: ``loo`` (Chapelle's corrected
    leave-one-out) or ``kfold``; ``order: auto`` always cross-validates its procedure."""
    folds: int = option(integer(2), 5)
    """Folds of the K-fold cross-validation."""
    bootstrap: int = option(integer(0), 100)
    """Bootstrap resamples of the whole fit behind the ``*_conf`` half-widths (0: none)."""
    conf_level: float = option(probability, 0.95)
    """Confidence level of the ``*_conf`` half-widths."""
    convergence: bool = option(boolean, True)
    """Also fit growing prefixes of the design: the indices ``*_by_runs`` against the
    number of runs."""

    def check(self, path: str) -> None:
        """Options that only make sense together."""
        auto = self.order == AUTO
        if self.max_order is not None and not auto:
            raise StudyError(fields.join(path, "max_order"), "applies only with order: auto")
        if self.design != "quadrature":
            return
        for name, allowed in (
            ("order", not auto),
            ("solver", self.solver in (None, "ols")),
            ("cv", self.cv == "loo"),
        ):
            if not allowed:
                raise StudyError(
                    fields.join(path, name), f"{self[name]!r} needs design: regression"
                )


def _regression(options: Mapping[str, Any]) -> bool:
    return bool(options["design"] == "regression")


def _footprint(options: Options, inputs: int) -> tuple[int, int, str] | None:
    """A full quadrature grid, or a fixed-order regression (its matrix too); an
    adaptive fit bounds its own candidates."""
    from uqscale.study.budget import OVERSAMPLING, design_bytes

    if options["design"] == "quadrature" and not options["sparse"]:
        rows = (options["order"] + 1) ** inputs
        return rows, design_bytes(rows, inputs), "order"
    if options["design"] == "regression" and options["order"] != AUTO:
        terms = math.comb(options["order"] + inputs, inputs)  # q_norm < 1 keeps fewer
        rows = options["n"] or OVERSAMPLING * terms
        return rows, design_bytes(rows, inputs, 2 * terms), "n" if options["n"] else "order"
    return None


def entry(dataset: Any) -> dict[str, Any]:
    """One output's expansion in ``indices.json``: the usual entry, and ``reliable``
    (false when the honest error ``cv_error`` exceeds ``max_error`` at some point) with
    the ``reliability`` reason when it is false."""
    from uqscale.analysis.entries import method_entry

    found = method_entry(dataset)
    if "reliable" in dataset:
        found["reliable"] = bool(dataset["reliable"].all())
        if not found["reliable"]:
            found["reliability"] = str(dataset.attrs.get("reliability", ""))
    return found


METHOD = Method(
    name="pce",
    options=PceOptions,
    sampling=("order", "design", "n", "rule", "quadrature", "sparse", "q_norm", "max_order"),
    sample=Lazy("uqscale.analysis.pce:sample"),
    analyze=Lazy("uqscale.analysis.pce:analyze"),
    iid=_regression,
    takes_any_iid=_regression,
    indices=True,
    summary=("S1", "ST"),
    entry=entry,
    footprint=_footprint,
    continuous_only=True,  # h19: no orthogonal basis for a discrete measure (issue 19.3)
    sections=(
        SectionSpec(
            70, "pce", "Polynomial chaos quality", Lazy("uqscale.report.quality:pce_section")
        ),
    ),
)
"""A regression design is drawn from the joint distribution; quadrature nodes are not."""
