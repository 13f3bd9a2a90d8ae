"""Polynomial chaos expansions (chaospy bases): regression or quadrature, and the
Sobol indices that follow from the coefficients (the numerics of ``method: pce``,
declared in :mod:`uqscale.analysis.pce_method`).

Regression fits every term of a given degree by least squares (``solver: ols``), or
chooses terms along an orthogonal matching pursuit or least-angle regression path
(``omp``, ``lars``), with the degree itself chosen by cross-validation under
``order: auto`` (:mod:`uqscale.analysis.adaptive`). Bootstrap over the samples gives
confidence intervals (:mod:`uqscale.analysis.bootstrap`); refits on growing prefixes
of the design show the convergence (:mod:`uqscale.analysis.convergence`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import xarray as xr

from uqscale.analysis.adaptive import Expansion, Settings, Targets, TooFewSamplesError, fit
from uqscale.analysis.bootstrap import confidence, resample_weights
from uqscale.analysis.common import (
    AnalysisError,
    OutputValues,
    input_coords,
    output_values,
    per_output,
    require_complete,
)
from uqscale.analysis.convergence import follow, prefix_sizes
from uqscale.analysis.polynomials import Basis, multi_indices, sobol_from_coefficients
from uqscale.analysis.trust import MAX_ERROR, verdict
from uqscale.sampling import unit_sample
from uqscale.space import InputSpace
from uqscale.surrogate import with_expansion

OVERSAMPLING = 2
AUTO = "auto"
AUTO_MAX_ORDER = 20
"""Highest degree ``order: auto`` may reach (chaospy's orthonormal polynomials of
higher degree lose their orthonormality in double precision)."""
AUTO_Q_NORM = 0.75
AUTO_Q_NORMS = (0.5, 0.75, 1.0)
AUTO_SAMPLES_PER_INPUT = 16
MIN_SAMPLES = 3
"""Fewest finite samples of a regression: a constant and its leave-one-out error."""


def settings(options: Mapping[str, Any]) -> Settings:
    """How to fit: defaults resolved (``ols`` at a given order; under ``order: auto``
    least squares and ``omp`` (or the given solver), each with the q-norms
    :data:`AUTO_Q_NORMS` (or the given one), over degrees ``1 .. max_order``)."""
    auto = options["order"] == AUTO
    top = options.get("max_order") or AUTO_MAX_ORDER
    solver = options.get("solver") or ("omp" if auto else "ols")
    q_norm = options.get("q_norm") or (AUTO_Q_NORM if auto else 1.0)
    families: tuple[tuple[str, float], ...] = ()
    if auto:
        q_norms = (q_norm,) if options.get("q_norm") else AUTO_Q_NORMS
        families = tuple((s, q) for s in dict.fromkeys(("ols", solver)) for q in q_norms)
    return Settings(
        solver=solver,
        orders=tuple(range(1, top + 1)) if auto else (options["order"],),
        q_norm=q_norm,
        cv=options.get("cv") or "loo",
        folds=options.get("folds") or 5,
        families=families,
    )


def regression_size(space: InputSpace, options: Mapping[str, Any]) -> int:
    """Number of regression samples: as given; else twice the number of terms, or
    under ``order: auto`` 16 per input rounded up to a power of two.

    Parameters
    ----------
    space
        The inputs.
    options
        The analysis' options.

    Returns
    -------
    int
        The number of samples.
    """
    if options.get("n"):
        return cast("int", options["n"])
    if options["order"] == AUTO:
        return cast("int", 2 ** int(np.ceil(np.log2(AUTO_SAMPLES_PER_INPUT * space.dimension))))
    fixed = settings(options)
    indices = multi_indices(space.dimension, fixed.orders[0], fixed.q_norm)
    assert indices is not None  # no limit given: None only over a limit
    return OVERSAMPLING * len(indices)


def quadrature(space: InputSpace, options: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The nodes and weights of the options' quadrature rule.

    Parameters
    ----------
    space
        The inputs.
    options
        The analysis' options (``order``, ``quadrature``, ``sparse``).

    Returns
    -------
    nodes
        ``(n, d)``.
    weights
        ``(n,)``.
    """
    import chaospy

    nodes, weights = chaospy.generate_quadrature(
        options["order"], space.joint, rule=options["quadrature"], sparse=options["sparse"]
    )
    return np.asarray(nodes).T, np.asarray(weights)


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Quadrature nodes, or ``n`` points by ``rule`` for regression.

    Parameters
    ----------
    space, options
        As for :func:`regression_size`.
    rng
        Draws the regression points.

    Returns
    -------
    numpy.ndarray
        The design ``(n, d)`` in physical units.
    """
    if options["design"] == "quadrature":
        return quadrature(space, options)[0]
    n = regression_size(space, options)
    return space.to_physical(unit_sample(options["rule"], n, space.dimension, rng))


@dataclass(frozen=True)
class Regression:
    """A regression fit of any output: settings, shared basis, groups of inputs."""

    settings: Settings
    master: Basis
    groups: dict[str, list[int]]

    def fit(
        self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator
    ) -> tuple[Targets, Expansion]:
        """Fit the samples ``y`` ``(n, P)`` at ``x``; a field through its principal
        components when its points are fitted one target at a time.

        Parameters
        ----------
        x
            The samples ``(n, d)``.
        y
            The output ``(n, P)``.
        rng
            Draws the cross-validation folds.

        Returns
        -------
        targets
            What was fitted (the points or their principal components).
        expansion
            The fit of every target.
        """
        targets = Targets.of(y, components=not self.settings.fixed)
        return targets, fit(x, targets.values, self.master, self.settings, rng)

    def summary(
        self, x: np.ndarray, y: np.ndarray, targets: Targets, expansion: Expansion
    ) -> dict[str, Any]:
        """Indices, ``cv_error`` and ``loo_error`` per point, ``order`` and ``terms``.

        Parameters
        ----------
        x, y
            As for :meth:`fit`.
        targets, expansion
            What :meth:`fit` returned.

        Returns
        -------
        dict
            Arrays by name, as :func:`uqscale.analysis.polynomials.sobol_from_coefficients`
            plus ``cv_error``, ``loo_error``, ``order`` and ``terms``.
        """
        coefficients = targets.coefficients(expansion.coefficients)
        result: dict[str, Any] = sobol_from_coefficients(
            expansion.basis.indices, coefficients, self.groups
        )
        for key, residuals in (
            ("cv_error", expansion.cv_residuals),
            ("loo_error", expansion.loo_residuals),
        ):
            result[key] = _relative(targets.residuals(residuals), y)
        return result | {"order": expansion.order, "terms": expansion.terms}

    def prefix(
        self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, size: int
    ) -> dict[str, Any] | None:
        """The summary of a fit on the first ``size`` samples.

        Parameters
        ----------
        x, y, rng
            As for :meth:`fit`.
        size
            Number of leading samples fitted.

        Returns
        -------
        dict or None
            :meth:`summary` of that fit, None if too few samples are finite.
        """
        ok = np.isfinite(y[:size]).all(axis=1)
        try:
            targets, expansion = self.fit(x[:size][ok], y[:size][ok], rng)
        except (TooFewSamplesError, np.linalg.LinAlgError):
            return None
        return self.summary(x[:size][ok], y[:size][ok], targets, expansion)


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator | None,
) -> dict[str, xr.Dataset]:
    """Fit the expansion to every output point and derive indices.

    Variables: ``mean``, ``variance``, ``S1``, ``ST`` (dim ``input``), ``S2``
    (``input``, ``input_b``), ``S1_group``, ``ST_group`` (dim ``group``). Regression
    adds ``cv_error``, the honest error relative to the variance: K-fold
    cross-validation of the whole procedure that chose solver, degree, truncation and
    terms (:mod:`uqscale.analysis.procedure`), or for least squares at a given order
    Chapelle's corrected leave-one-out error; ``loo_error`` (plain leave-one-out error
    of the final least-squares fit, optimistic when the terms were chosen on the same
    runs); ``reliable`` (bool, ``cv_error`` at most :data:`MAX_ERROR`); with
    ``bootstrap`` the half-widths ``S1_conf``, ``ST_conf``, ``S2_conf``,
    ``S1_group_conf``, ``ST_group_conf`` (bootstrap of the whole procedure plus the
    honest error, :mod:`uqscale.analysis.bootstrap`); with ``convergence`` the same fit
    on growing prefixes of the design, ``*_by_runs`` over dim ``runs`` (number of runs
    in the prefix). Attributes ``order`` (degree chosen), ``terms`` (terms kept),
    ``candidates`` (terms of the chosen candidate basis), ``solver`` and ``q_norm`` (of
    the chosen candidate; for a stack of candidates, its heaviest member's),
    ``reliability`` (empty, or why the indices are not to be trusted) and
    ``max_error`` (the threshold).

    Parameters
    ----------
    space
        The inputs.
    options
        The analysis' options.
    design
        The samples, one variable per input over dim ``sample``.
    results
        The model outputs over dim ``sample``.
    rng
        Draws folds and bootstrap resamples (default: seed 0).

    Returns
    -------
    dict
        One Dataset per output, with the variables and attributes above.
    """
    x = np.column_stack([design[name].values for name in space.names])
    groups = {g: [space.names.index(n) for n in members] for g, members in space.groups.items()}
    if options["design"] == "quadrature":
        return per_output(
            "pce",
            _each(lambda out: _quadrature_dataset(space, options, x, out, groups), results),
        )
    fixed = settings(options)
    regression = Regression(fixed, Basis.polynomials(space.marginals, max(fixed.orders)), groups)
    rng = rng if rng is not None else np.random.default_rng(0)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # Many small factorisations and solves: BLAS threads only add contention (on a
    # busy machine they made these fits several times slower).
    with threadpool_limits(1, user_api="blas"):
        return per_output(
            "pce",
            _each(
                lambda out: _regression_dataset(space, options, regression, x, out, rng), results
            ),
        )


def _each(
    fit: Callable[[OutputValues], xr.Dataset], results: xr.Dataset
) -> Iterator[tuple[str, xr.Dataset | str]]:
    """``(output, dataset)`` for each output ``fit`` can expand, ``(output, why not)``
    for the others: one output that cannot be expanded never hides the others."""
    for out in output_values(results):
        try:
            yield out.name, fit(out)
        except AnalysisError as error:
            yield out.name, str(error).removeprefix("pce: ")


def _quadrature_dataset(
    space: InputSpace,
    options: Mapping[str, Any],
    x: np.ndarray,
    out: OutputValues,
    groups: dict[str, list[int]],
) -> xr.Dataset:
    require_complete(out, "pce (quadrature)")
    basis = Basis.total_degree(space.marginals, options["order"])
    nodes, weights = quadrature(space, options)
    if nodes.shape != x.shape or not np.allclose(nodes, x):
        raise AnalysisError("pce: the design does not hold this quadrature's nodes")
    coefficients = basis.matrix(x).T @ (weights[:, None] * out.values)
    indices = sobol_from_coefficients(basis.indices, coefficients, groups)
    dataset = _dataset(
        out,
        indices,
        space,
        options,
        {"n_used": len(x), "n_failed": 0, "order": options["order"], "terms": len(basis)},
    )
    return with_expansion(dataset, out, space, basis.indices, coefficients)  # h18: kept


def _regression_dataset(
    space: InputSpace,
    options: Mapping[str, Any],
    regression: Regression,
    x: np.ndarray,
    out: OutputValues,
    rng: np.random.Generator,
) -> xr.Dataset:
    ok = out.finite_rows()
    y = out.values[ok]
    _require_fittable(out.name, y, len(ok))
    try:
        targets, expansion = regression.fit(x[ok], y, rng)
    except TooFewSamplesError as error:
        raise AnalysisError(
            f"pce: output '{out.name}' has {int(ok.sum())} finite samples, "
            f"too few to fit ({error}); lower the order or raise n"
        ) from None
    found = regression.summary(x[ok], y, targets, expansion)
    if options.get("bootstrap"):
        weights = resample_weights(len(y), options["bootstrap"], rng)
        found |= confidence(
            x[ok],
            targets,
            expansion,
            regression.groups,
            weights,
            options.get("conf_level") or 0.95,
            found["cv_error"],
        )
    if options.get("convergence"):
        minimum = (
            2 * (space.dimension + 1)
            if len(regression.settings.orders) > 1
            else len(expansion.basis) + 2
        )
        sizes = prefix_sizes(len(x), minimum)
        by_runs = follow(sizes, lambda size: regression.prefix(x, out.values, rng, size), found)
        found |= {f"{key}_by_runs": value for key, value in by_runs.items()}
        found["runs"] = np.asarray(sizes)
    reliable, reason = verdict(found["cv_error"])
    found["reliable"] = reliable
    attrs = {
        "n_used": int(ok.sum()),
        "n_failed": int((~ok).sum()),
        "order": found.pop("order"),
        "terms": found.pop("terms"),
        "candidates": len(expansion.chosen[0][0].basis),
        "solver": expansion.chosen[0][0].candidate.solver,
        "cv": regression.settings.cv,
        "q_norm": expansion.chosen[0][0].candidate.q_norm,
        "reliability": reason,
        "max_error": MAX_ERROR,
    }
    dataset = _dataset(out, found, space, options, attrs)
    kept = (expansion.basis.indices, targets.coefficients(expansion.coefficients))
    return with_expansion(dataset, out, space, *kept)  # h18: the expansion is kept


def _require_fittable(name: str, y: np.ndarray, samples: int) -> None:
    """Refuse, in one line, samples no expansion can be fitted to: all or nearly all
    failed (fewer than :data:`MIN_SAMPLES` finite), or an output that never varies."""
    if len(y) < MIN_SAMPLES:
        raise AnalysisError(
            f"pce: only {len(y)} of {samples} samples of output '{name}' are finite (the "
            f"others failed); an expansion with a validated error needs at least "
            f"{MIN_SAMPLES}: fix the failures and resume the run"
        )
    if np.all(np.ptp(y, axis=0) == 0):
        raise AnalysisError(
            f"pce: output '{name}' is constant ({float(y.flat[0]):g}) in all {len(y)} finite "
            f"samples: it has no variance to attribute to the inputs"
        )


def _relative(residuals: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared residuals per point over the variance of ``y`` (NaN where the
    variance is zero)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return cast("np.ndarray", (residuals**2).mean(axis=0) / y.var(axis=0))


def _dims(key: str) -> tuple[str, ...]:
    """The dims of an index variable, before the output's field dims."""
    base = key.removesuffix("_by_runs").removesuffix("_conf")
    runs = ("runs",) if key.endswith("_by_runs") else ()
    if base == "S2":
        return (*runs, "input", "input_b")
    if base.endswith("_group"):
        return (*runs, "group")
    return (*runs, "input") if base in ("S1", "ST") else runs


def _dataset(
    out: OutputValues,
    found: dict[str, Any],
    space: InputSpace,
    options: Mapping[str, Any],
    attrs: dict[str, Any],
) -> xr.Dataset:
    coords = input_coords(space) | {"group": list(space.groups)}
    runs = found.pop("runs", None)
    if runs is not None:
        coords["runs"] = runs
    variables = {}
    for key, value in found.items():
        if key.startswith("S2") and not options["second_order"]:
            continue
        if key in ("order_by_runs", "terms_by_runs"):  # one value per fit, not per point
            variables[key] = xr.DataArray(value, dims=("runs",), coords={"runs": runs})
        else:
            variables[key] = out.labelled(_dims(key), np.asarray(value), coords)
    return xr.Dataset(variables, attrs=attrs)
