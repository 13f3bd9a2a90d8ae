"""Every candidate ``order: auto`` tries on one benchmark fit, with its honest, true and
index errors: why a fit of ``benchmarks/pce_accuracy.py`` won and what it beat.

The same design (scrambled Sobol', ``budget`` runs per input, the seed), the same folds
(drawn first from the seed, as ``pce_accuracy.py``'s fit does) and the same 20,000 fresh
points as ``pce_accuracy.py``; each (solver, q-norm) family's degrees are walked as
:func:`uqscale.analysis.procedure.choose` walks them (same stop rules), printing every
candidate instead of keeping the best.

Run: ``nice -n 15 python benchmarks/pce_candidates.py g10 20 1`` (problem, runs per
input, seed).
"""

from __future__ import annotations

import argparse

import numpy as np

from uqscale.analysis import pce, procedure
from uqscale.analysis.pce_benchmarks import benchmarks, input_space
from uqscale.analysis.polynomials import Basis, sobol_from_coefficients
from uqscale.analysis.sparse import kfold_split, select
from uqscale.sampling import unit_sample
from uqscale.study.methods import read_options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem")
    parser.add_argument("budget", type=int)
    parser.add_argument("seed", type=int)
    arguments = parser.parse_args()
    problem = benchmarks()[arguments.problem]
    if problem.reference or problem.s1.ndim != 1:
        parser.error("a scalar problem with closed-form indices")
    space = input_space(problem)
    n = arguments.budget * problem.dimension
    unit = unit_sample("sobol", n, problem.dimension, np.random.default_rng(arguments.seed))
    x = space.to_physical(unit)
    y = problem.function(x)[:, None]
    fresh = space.to_physical(np.random.default_rng(99).random((20_000, problem.dimension)))
    truth = problem.function(fresh)
    fixed = pce.settings(read_options("pce", {"order": "auto", "n": n}, "analysis[0]"))
    master = Basis.polynomials(space.marginals, max(fixed.orders))
    validation = procedure.Validation(
        kfold_split(n, fixed.folds, np.random.default_rng(arguments.seed))
    )
    tables = master.tables(x)
    for solver, q_norm in fixed.candidates:
        lowest, misses, size = np.inf, 0, 0
        for order in fixed.orders:
            basis = master.truncate(order, q_norm, limit=procedure.MAX_TERMS)
            if basis is None or not validation.fits(len(basis), n, solver):
                break
            if len(basis) == size:
                continue
            size = len(basis)
            found = select(basis.matrix(x, tables), y, solver, validation.outer)
            honest = float(found.error[0])
            kept = basis.indices[found.support]
            indices = sobol_from_coefficients(kept, found.coefficients, {})
            index_error = max(
                np.abs(indices["S1"].ravel() - problem.s1).max(),
                np.abs(indices["ST"].ravel() - problem.st).max(),
            )
            predicted = Basis(kept, master.univariate).matrix(fresh) @ found.coefficients
            true = np.mean((predicted[:, 0] - truth) ** 2) / truth.var()
            print(
                f"{solver:4s} q={q_norm:.2f} degree {order:2d}: {len(kept):4d} of "
                f"{len(basis):5d} terms, honest {honest:.4f}, true {true:.4f}, "
                f"max index error {index_error:.4f}",
                flush=True,
            )
            lowest, misses = (honest, 0) if honest < lowest else (lowest, misses + 1)
            if misses >= procedure.PATIENCE or honest == 0.0:
                break


if __name__ == "__main__":
    main()
