"""Codon reassignment: from misincorporation at reassigned codons to a chemostat.

Micro step (:func:`enzyme`): a protein of ``protein_length`` codons carries
``n_sites`` reassigned codons, each misread with probability ``eps``; the enzyme is
functional only if every reassigned site is read right, a fraction ``(1 - eps)^n``.
Each reassigned codon is also read ``penalty`` times slower than a normal one
(extra dwell time in units of a normal codon's), so translation runs at
``L / (L + n penalty)`` of its normal speed. The enzyme's activity relative to the
wild type is the product, and the cell's maximal growth rate saturates in it:
``mu_e = mu_max A (1 + K_A) / (A + K_A)`` (``mu_e = mu_max`` at ``A = 1``).

Macro step (:func:`chemostat`): substrate ``S`` fed at ``s_in`` with dilution rate
``D``; the engineered strain ``X_e`` (maximal rate ``mu_e``) competes with an escape
mutant ``X_w`` that reverted to the standard code (``mu_max``), present in the
inoculum at frequency ``escape_frequency``. Monod kinetics, yield ``Y``::

    S'   = D (s_in - S) - (mu_e X_e + mu_w X_w) S / (K_s + S) / Y
    X_i' = (mu_i S / (K_s + S) - D) X_i

Since ``S <= s_in`` throughout, the engineered strain washes out (never grows above
its inoculum) exactly when its growth rate at the inflow concentration is below the
dilution rate. The scheme is vectorised over the batch with a fixed step (so a
sample's result does not depend on its batch): backward Euler for ``S`` (a quadratic
with one positive root: positive and stable however stiff uptake is) and an exact
exponential update of ``ln X_i`` with the growth rate averaged over the step.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def enzyme(eps: Array, n_sites: Array, penalty: Array, protein_length: float = 300.0,
           mu_max: float = 0.8, k_activity: float = 0.25) -> dict[str, Array]:
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

    Returns
    -------
    dict
        ``functional_fraction``, ``translation_speed``, ``enzyme_activity`` and
        ``max_growth_rate`` (1/h), arrays like the inputs.
    """
    eps, n_sites, penalty = (np.asarray(a, dtype=float) for a in (eps, n_sites, penalty))
    functional = (1.0 - eps) ** n_sites
    speed = protein_length / (protein_length + n_sites * penalty)
    activity = functional * speed
    growth = mu_max * activity * (1.0 + k_activity) / (activity + k_activity)
    return {"functional_fraction": functional, "translation_speed": speed,
            "enzyme_activity": activity, "max_growth_rate": growth}


def chemostat(max_growth_rate: Array, dilution: Array, s_in: Array, escape_frequency: Array,
              mu_max: float = 0.8, k_s: float = 0.2, yield_coefficient: float = 0.5,
              inoculum: float = 0.01, t_end: float = 2000.0, dt: float = 0.2,
              loss_level: float = 0.1) -> dict[str, Array]:
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
        mutants outnumbered it before ``t_end``), ``loss_time`` (h, ``t_end`` if not
        lost), ``log_loss_time`` (log10 of it) and ``engineered_fraction`` (of the
        biomass at ``t_end``).
    """
    mu_e, dilution, s_in, frequency = (a.astype(float) for a in np.broadcast_arrays(
        max_growth_rate, dilution, s_in, escape_frequency))
    s = s_in.copy()
    log_e = np.full(s.shape, np.log(inoculum))
    log_w = np.log(inoculum * frequency)
    saturation = s / (k_s + s)
    highest_e = log_e.copy()                  # washout: never above the inoculum
    lead_w = log_w - log_e                    # takeover: escape mutants ahead
    loss_time = np.full(s.shape, np.nan)
    log_loss = np.log(loss_level * inoculum)
    margin_before = log_e - np.maximum(log_w, log_loss)
    # Backward Euler for S: a S^2 + b S - r K_s = 0 (see _substrate_step).
    a = 1.0 + dt * dilution
    inflow = dt * dilution * s_in
    half_e, half_w, lost_per_step = 0.5 * dt * mu_e, 0.5 * dt * mu_max, dt * dilution
    steps = round(t_end / dt)
    for step in range(1, steps + 1):
        uptake = (mu_e * np.exp(log_e) + mu_max * np.exp(log_w)) * (dt / yield_coefficient)
        r = s + inflow
        b = a * k_s - r + uptake
        root = np.sqrt(b * b + 4.0 * k_s * a * r)
        s = np.where(b > 0, 2.0 * k_s * r / (np.abs(b) + root), (root - b) / (2.0 * a))
        both = saturation + (saturation := s / (k_s + s))
        log_e += half_e * both - lost_per_step
        log_w += half_w * both - lost_per_step
        np.maximum(highest_e, log_e, out=highest_e)
        np.maximum(lead_w, log_w - log_e, out=lead_w)
        margin = log_e - np.maximum(log_w, log_loss)
        crossed = (margin < 0) & np.isnan(loss_time)
        if crossed.any():
            # Linear interpolation of the crossing within the step.
            fraction = margin_before[crossed] / (margin_before[crossed] - margin[crossed])
            loss_time[crossed] = (step - 1 + fraction) * dt
        margin_before = margin
    lost = ~np.isnan(loss_time)
    loss_time = np.where(lost, loss_time, t_end)
    x_e, x_w = np.exp(log_e), np.exp(log_w)
    return {"growth_at_inflow": mu_e * s_in / (k_s + s_in),
            "washout": (highest_e <= np.log(inoculum)).astype(float),
            "takeover": (lead_w > 0).astype(float),
            "loss_time": loss_time, "log_loss_time": np.log10(loss_time),
            "engineered_fraction": x_e / (x_e + x_w)}
