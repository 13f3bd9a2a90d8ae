"""OpenTURNS' sparse (LARS) chaos expansion, run in OpenTURNS' own environment.

Called by ``pce_accuracy.py`` as ``python pce_openturns.py IN.npz OUT.npz`` with the
interpreter of a virtual environment holding ``openturns`` (it is not a uqscale
dependency). ``IN.npz`` holds ``x`` ``(n, d)``, ``y`` ``(n, P)`` and ``inputs``, a JSON
list of study-file distributions. For each total degree ``1 .. max_degree`` (with
OpenTURNS' hyperbolic enumeration, q = 0.75) it fits the LARS expansion selected by
OpenTURNS' corrected leave-one-out error (``LeastSquaresMetaModelSelectionFactory``)
and keeps the degree whose corrected leave-one-out error is smallest (see
:func:`loo_error`), as a user of OpenTURNS would.
``OUT.npz`` holds ``S1``, ``ST`` ``(d, P)``, the chosen ``degree`` and its ``error``.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import openturns as ot

Q_NORM = 0.75
MAX_DEGREE = 10


def marginal(spec: dict) -> ot.Distribution:
    """An OpenTURNS distribution from a study-file one."""
    kind = spec["distribution"]
    if kind == "uniform":
        return ot.Uniform(spec["low"], spec["high"])
    if kind == "normal":
        return ot.Normal(spec["mean"], spec["std"])
    if kind == "lognormal":
        return ot.LogNormal(spec["mu"], spec["sigma"])
    raise ValueError(f"no OpenTURNS equivalent for {kind}")


def fit(x: np.ndarray, y: np.ndarray, inputs: list[dict], degree: int):
    """The LARS expansion of total (hyperbolic) degree ``degree``."""
    marginals = [marginal(s) for s in inputs]
    distribution = ot.JointDistribution(marginals)
    enumerate_function = ot.HyperbolicAnisotropicEnumerateFunction(len(marginals), Q_NORM)
    factories = [ot.StandardDistributionPolynomialFactory(m) for m in marginals]
    basis = ot.OrthogonalProductPolynomialFactory(factories, enumerate_function)
    size = enumerate_function.getBasisSizeFromTotalDegree(degree)
    selection = ot.LeastSquaresMetaModelSelectionFactory(ot.LARS(), ot.CorrectedLeaveOneOut())
    algorithm = ot.FunctionalChaosAlgorithm(
        ot.Sample(x),
        ot.Sample(y),
        distribution,
        ot.FixedStrategy(basis, size),
        ot.LeastSquaresStrategy(selection),
    )
    algorithm.run()
    return algorithm.getResult()


def loo_error(result, x: np.ndarray, y: np.ndarray) -> float:
    """Largest corrected leave-one-out error (Chapelle's factor, relative to the
    variance) over the outputs, of the least-squares fit on the terms LARS kept: the
    criterion OpenTURNS' selection itself uses (its ``FunctionalChaosValidation``
    refuses expansions whose terms were selected)."""
    sample = ot.Sample(x)
    columns = np.column_stack([np.asarray(f(sample)).ravel() for f in result.getReducedBasis()])
    q, r = np.linalg.qr(columns)
    leverage = (q**2).sum(axis=1)[:, None]
    residuals = y - q @ (q.T @ y)
    n, k = columns.shape
    factor = n / (n - k) * (1 + np.trace(np.linalg.inv(r.T @ r)))
    with np.errstate(all="ignore"):
        errors = np.mean((residuals / (1 - leverage)) ** 2, axis=0) * factor / y.var(axis=0)
    return float(np.nanmax(errors)) if k < n else np.inf


def main() -> None:
    data = np.load(sys.argv[1])
    x, y = data["x"], data["y"]
    inputs = json.loads(str(data["inputs"]))
    best = None
    for degree in range(1, MAX_DEGREE + 1):
        size = ot.HyperbolicAnisotropicEnumerateFunction(
            x.shape[1], Q_NORM
        ).getBasisSizeFromTotalDegree(degree)
        if size > 4 * len(x):
            break
        try:
            result = fit(x, y, inputs, degree)
        except RuntimeError:
            break
        error = loo_error(result, x, y)
        if best is None or error < best[0]:
            best = (error, degree, result)
    error, degree, result = best
    sobol = ot.FunctionalChaosSobolIndices(result)
    d, points = x.shape[1], y.shape[1]
    s1 = np.array([[sobol.getSobolIndex(i, p) for p in range(points)] for i in range(d)])
    st = np.array([[sobol.getSobolTotalIndex(i, p) for p in range(points)] for i in range(d)])
    np.savez(sys.argv[2], S1=s1, ST=st, degree=degree, error=error)


if __name__ == "__main__":
    main()
