"""Oral dosing with a structural uncertainty: which absorption kinetics.

One-compartment disposition (clearance ``CL``, volume ``V``, elimination rate
``k = CL / V``) after an oral dose absorbed either by first-order kinetics (input rate
``D ka exp(-ka t)``, ``ka = 1 / MAT``) or by zero-order kinetics (a constant rate
``D / T`` for ``T = 2 MAT``). The variants share the mean absorption time ``MAT``
(``1 / ka`` for first order, ``T / 2`` for zero order; Rowland & Tozer 2011, ch. 7),
so the categorical input ``absorption`` changes only the shape of the input, not its
timing on average. The amount in the body is integrated numerically (classical RK4,
vectorised over samples); the closed forms (Bateman's function for first order, the
constant-rate infusion for zero order; Gibaldi & Perrier 1982, ch. 1) are the study's
verification cases, and ``AUC = D / CL`` holds for both variants whatever the
absorption (complete bioavailability).
"""

from __future__ import annotations

import numpy as np

VARIANTS = ("first_order", "zero_order")


def _input_rate(
    kind: np.ndarray, mat: np.ndarray, dose: float, t: float, start: float, h: float
) -> np.ndarray:
    """Absorption rate into the body (mg/h) at time ``t`` of each sample, in the RK4
    step ``[start, start + h]``: the zero-order rate is averaged over the step, so
    that the step where the input stops absorbs exactly what it should."""
    first = dose / mat * np.exp(-t / mat)
    zero = dose / (2 * mat) * np.clip((2 * mat - start) / h, 0.0, 1.0)
    return np.where(kind == "first_order", first, zero)


def oral_dose(absorption, mat, clearance, volume, dose=100.0, t_end=48.0, steps=9600):
    """Peak concentration, its time and the AUC over ``[0, t_end]`` of each sample.

    Parameters
    ----------
    absorption
        ``first_order`` or ``zero_order``, per sample (strings).
    mat, clearance, volume
        Mean absorption time (h), clearance (L/h), volume (L), per sample.
    dose, t_end, steps
        Dose (mg), horizon (h), RK4 steps over it.

    Returns
    -------
    dict
        ``cmax`` (mg/L), ``tmax`` (h), ``auc`` (mg h/L), arrays over samples.
    """
    kind = np.asarray(absorption).astype(str)
    mat, clearance, volume = (np.asarray(v, dtype=float) for v in (mat, clearance, volume))
    unknown = set(kind) - set(VARIANTS)
    if unknown:
        raise ValueError(f"unknown absorption variant(s) {sorted(unknown)}; one of {VARIANTS}")
    k, h = clearance / volume, t_end / steps
    amount = np.zeros_like(mat)
    cmax, tmax, auc = np.zeros_like(mat), np.zeros_like(mat), np.zeros_like(mat)

    for step in range(steps):
        t = step * h

        def rate(at: float, a: np.ndarray, start: float = t) -> np.ndarray:
            return _input_rate(kind, mat, dose, at, start, h) - k * a

        r1 = rate(t, amount)
        r2 = rate(t + h / 2, amount + h / 2 * r1)
        r3 = rate(t + h / 2, amount + h / 2 * r2)
        r4 = rate(t + h, amount + h * r3)
        after = amount + h / 6 * (r1 + 2 * r2 + 2 * r3 + r4)
        auc += h / 2 * (amount + after) / volume
        amount = after
        higher = amount / volume > cmax
        cmax, tmax = np.where(higher, amount / volume, cmax), np.where(higher, t + h, tmax)
    return {"cmax": cmax, "tmax": tmax, "auc": auc}
