"""Codon reassignment: from misincorporation at reassigned codons to a chemostat.

Micro step (:func:`enzyme`): a protein of ``protein_length`` codons carries
``n_sites`` reassigned codons, each misread with probability ``eps``; the enzyme is
functional only if every reassigned site is read right, a fraction ``(1 - eps)^n``
(for ``n eps`` of order 1 this is ``exp(-n eps)``, far below the linear ``1 - n eps``).
Where a release factor still competes for the reassigned codon, each one also ends
translation with probability ``truncation``, leaving ``(1 - truncation)^n`` of the
chains full length (0 in a release-factor-1-deleted host). Each reassigned codon is
read ``penalty`` times slower than a normal one (extra dwell time in units of a normal
codon's), so translation runs at ``L / (L + n penalty)`` of its normal speed. The
enzyme's activity relative to the wild type is the product, and the cell's maximal
growth rate saturates in it: ``mu_e = mu_max A (1 + K_A) / (A + K_A)`` (``mu_e =
mu_max`` at ``A = 1``; ``mu_e ~ mu_max A (1 + K_A) / K_A`` once ``A << K_A``).

Macro step (:func:`chemostat`): substrate ``S`` fed at ``s_in`` with dilution rate
``D``; the engineered strain ``X_e`` (maximal rate ``mu_e``) competes with escape
mutants ``X_w`` that reverted to the standard code (``mu_max``): present in the
inoculum at ``escape_frequency`` and arising de novo, a fraction ``mutation_rate`` of
the engineered strain's divisions. Monod kinetics ``m(S) = S / (K_s + S)``, yield
``Y``::

    S'   = D (s_in - S) - (mu_e X_e + mu_w X_w) m(S) / Y
    X_e' = (mu_e (1 - nu) m(S) - D) X_e
    X_w' = (mu_w m(S) - D) X_w + nu mu_e m(S) X_e

Since ``S <= s_in`` throughout, the engineered strain washes out (never grows above
its inoculum) exactly when its growth rate at the inflow concentration is below the
dilution rate. With ``m`` constant the ratio ``R = X_w / X_e`` obeys
``R' = Delta R + c`` (``Delta = (mu_w - mu_e (1 - nu)) m``, ``c = nu mu_e m``), so
escape mutants take over (``R = 1``) at ``ln((1 + c/Delta) / (R0 + c/Delta)) / Delta``.
The scheme is vectorised over the batch with a fixed step (so a sample's result does
not depend on its batch): backward Euler for ``S`` (a quadratic with one positive
root: positive and stable however stiff uptake is) and, with ``m`` held at its mean
over the step, the exact solution of the two linear growth equations, in logarithms.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

Array = np.ndarray


def all_sites_read(p_error: Array, n_sites: Array) -> Array:
    """Probability that ``n_sites`` independent sites all escape an event of
    probability ``p_error`` each: ``(1 - p_error)^n``."""
    return (1.0 - p_error) ** n_sites


def enzyme(
    eps: Array,
    n_sites: Array,
    penalty: Array,
    protein_length: float = 300.0,
    mu_max: float = 0.8,
    k_activity: float = 0.25,
    truncation: float = 0.0,
) -> dict[str, Array]:
    """Functional fraction, translation speed, enzyme activity and growth rate.

    Parameters
    ----------
    eps
        Misincorporation probability per reassigned codon.
    n_sites
        Number of reassigned codons in the enzyme's gene (continuous here).
    penalty
        Extra dwell time of a reassigned codon, in units of a normal codon's.
    protein_length
        Codons in the gene.
    mu_max
        Maximal growth rate of the wild type, 1/h.
    k_activity
        Enzyme activity at which growth is half of what full activity would give.
    truncation
        Probability that a release factor ends translation at a reassigned codon.

    Returns
    -------
    dict
        ``functional_fraction``, ``full_length_fraction``, ``translation_speed``,
        ``enzyme_activity`` and ``max_growth_rate`` (1/h), arrays like the inputs.
    """
    eps, n_sites, penalty = (np.asarray(a, dtype=float) for a in (eps, n_sites, penalty))
    functional = all_sites_read(eps, n_sites)
    full_length = all_sites_read(truncation, n_sites)
    speed = protein_length / (protein_length + n_sites * penalty)
    activity = functional * full_length * speed
    growth = mu_max * activity * (1.0 + k_activity) / (activity + k_activity)
    return {
        "functional_fraction": functional,
        "full_length_fraction": full_length,
        "translation_speed": speed,
        "enzyme_activity": activity,
        "max_growth_rate": growth,
    }


def _relative_expm1(x: Array) -> Array:
    """``(exp(x) - 1) / x``, 1 at 0."""
    small = np.abs(x) < 1e-8
    return np.where(small, 1.0 + 0.5 * x, np.expm1(x) / np.where(small, 1.0, x))


class _Crossing:
    """The first time a margin (a function of the step, positive at the start) falls
    below zero, interpolated linearly within the step; NaN until it does."""

    def __init__(self, margin: Array) -> None:
        self.before = margin
        self.time = np.full(margin.shape, np.nan)

    def update(self, margin: Array, step: int, dt: float) -> None:
        crossed = (margin < 0) & np.isnan(self.time)
        if crossed.any():
            fraction = self.before[crossed] / (self.before[crossed] - margin[crossed])
            self.time[crossed] = (step - 1 + fraction) * dt
        self.before = margin

    def result(self, t_end: float) -> Array:
        return np.where(np.isnan(self.time), t_end, self.time)


def chemostat(
    max_growth_rate: Array,
    dilution: Array,
    s_in: Array,
    escape_frequency: Array,
    mutation_rate: Array,
    mu_max: float = 0.8,
    k_s: float = 0.2,
    yield_coefficient: float = 0.5,
    inoculum: float = 0.01,
    t_end: float = 2000.0,
    dt: float = 0.2,
    loss_level: float = 0.1,
) -> dict[str, Array]:
    """Competition of the engineered strain with escape mutants in a chemostat.

    Parameters
    ----------
    max_growth_rate
        The engineered strain's maximal growth rate ``mu_e``, 1/h (micro step).
    dilution
        Dilution rate ``D``, 1/h.
    s_in
        Inflow substrate concentration, g/L.
    escape_frequency
        Escape mutants per engineered cell in the inoculum.
    mutation_rate
        Escape mutants per division of the engineered strain (de novo escape).
    mu_max
        The escape mutant's maximal growth rate, 1/h.
    k_s, yield_coefficient
        Monod constant (g/L) and biomass yield (g/g).
    inoculum
        Engineered biomass at the start, g/L (the vessel holds ``s_in`` of substrate).
    t_end, dt
        Horizon and fixed time step, h.
    loss_level
        The engineered strain is lost when it falls below ``loss_level`` times its
        inoculum, or below the escape mutants' density, whichever comes first.

    Returns
    -------
    dict
        ``growth_at_inflow`` (``mu_e s_in / (K_s + s_in)``), ``washout`` (1 if the
        engineered strain never grew above its inoculum), ``takeover`` (1 if escape
        mutants outnumbered it before ``t_end``), ``takeover_time`` (h, ``t_end`` if
        none), ``loss_time`` (h, ``t_end`` if not lost), ``log_loss_time`` (log10 of
        it) and ``engineered_fraction`` (of the biomass at ``t_end``).
    """
    mu_e, dilution, s_in, frequency, nu = (
        a.astype(float)
        for a in np.broadcast_arrays(
            max_growth_rate, dilution, s_in, escape_frequency, mutation_rate
        )
    )
    s = s_in.copy()
    log_e = np.full(s.shape, np.log(inoculum))
    log_w = np.log(inoculum * frequency)
    with np.errstate(divide="ignore"):  # no de novo mutants at nu = 0
        log_birth = np.log(nu * mu_e * dt)  # per engineered cell and step, per unit m
    saturation = s / (k_s + s)
    highest_e = log_e.copy()  # washout: never above the inoculum
    log_loss = np.log(loss_level * inoculum)
    takeover = _Crossing(log_e - log_w)
    loss = _Crossing(log_e - np.maximum(log_w, log_loss))
    # Backward Euler for S: a S^2 + b S - r K_s = 0 (see the module docstring).
    a = 1.0 + dt * dilution
    inflow = dt * dilution * s_in
    lost_per_step = dt * dilution
    for step in range(1, round(t_end / dt) + 1):
        uptake = (mu_e * np.exp(log_e) + mu_max * np.exp(log_w)) * (dt / yield_coefficient)
        r = s + inflow
        b = a * k_s - r + uptake
        root = np.sqrt(b * b + 4.0 * k_s * a * r)
        s = np.where(b > 0, 2.0 * k_s * r / (np.abs(b) + root), (root - b) / (2.0 * a))
        mean = 0.5 * (saturation + (saturation := s / (k_s + s)))
        grow_e = mu_e * (1.0 - nu) * mean * dt - lost_per_step
        grow_w = mu_max * mean * dt - lost_per_step
        # X_w(dt) = X_w e^{g_w} + c X_e e^{g_e} (e^{g_w - g_e} - 1) / (g_w - g_e).
        born = log_birth + np.log(mean) + log_e + grow_e + np.log(_relative_expm1(grow_w - grow_e))
        log_w = np.logaddexp(log_w + grow_w, born)
        log_e = log_e + grow_e
        np.maximum(highest_e, log_e, out=highest_e)
        takeover.update(log_e - log_w, step, dt)
        loss.update(log_e - np.maximum(log_w, log_loss), step, dt)
    loss_time = loss.result(t_end)
    return {
        "growth_at_inflow": mu_e * s_in / (k_s + s_in),
        "washout": (highest_e <= np.log(inoculum)).astype(float),
        "takeover": (~np.isnan(takeover.time)).astype(float),
        "takeover_time": takeover.result(t_end),
        "loss_time": loss_time,
        "log_loss_time": np.log10(loss_time),
        "engineered_fraction": expit(log_e - log_w),
    }
