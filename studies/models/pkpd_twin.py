"""The pharmacology chain of :mod:`studies.models.pkpd` as a patient twin: the same
cell and body, given a bolus ``dose`` every ``dose_interval`` hours.

The cell step is :func:`studies.models.pkpd.cell_signalling` unchanged; the body step
(:func:`repeated_doses`) integrates the right-hand side of :mod:`studies.models.pkpd`
from one dose to the next with LSODA, adding each bolus to the plasma amount, so the
drug's mass balance holds with the doses given so far::

    A_p + A_t + V_t RC + A_el = dose x (doses given by t)

Without exchange (``q_exchange = 0``) plasma follows the superposition of one-
compartment boluses, ``C(t) = sum_i dose / V exp(-CL (t - t_i) / V)``, the known
answer the study's verification checks.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .pkpd import _rhs

Array = np.ndarray
PLASMA, TISSUE, COMPLEX, BIOMARKER, ELIMINATED = 0, 1, 2, 7, 8
"""Rows of the state vector of :mod:`studies.models.pkpd` this module reads."""
SAMPLED = ("k_off", "transducer_k", "transit_rate", "clearance", "v_plasma", "q_exchange")
"""The body step's inputs, varying from sample to sample."""


def dosing_times(doses: int, dose_interval: float) -> Array:
    """Times of the boluses, h.

    Parameters
    ----------
    doses
        Number of boluses, the first at t = 0.
    dose_interval
        Hours between boluses.

    Returns
    -------
    numpy.ndarray
        ``0, dose_interval, 2 dose_interval, ...``

    >>> dosing_times(3, 24.0).tolist()
    [0.0, 24.0, 48.0]
    """
    return np.arange(doses) * float(dose_interval)


def simulate_doses(p: dict[str, float], times: Array, doses: Array, rtol: float) -> Array:
    """One sample's states ``(10, len(times))`` on ``times`` under boluses at ``doses``.

    Parameters
    ----------
    p
        Every rate constant and volume of :mod:`studies.models.pkpd`, and ``dose``.
    times
        Increasing output times from 0, h.
    doses
        Bolus times (the first 0), h.
    rtol
        Relative tolerance of LSODA (the absolute one follows from the dose).

    Returns
    -------
    numpy.ndarray
        The states, rows in the order of :func:`studies.models.pkpd.simulate`.
    """
    rhs = _rhs(p)
    atol = np.full(10, rtol * 1e-3)
    atol[[PLASMA, TISSUE, ELIMINATED]] = rtol * 1e-3 * p["dose"]
    atol[[COMPLEX, 9]] = rtol * 1e-3 * p["dose"] / p["v_plasma"]
    y = np.zeros(10)
    y[BIOMARKER] = 1.0
    states = np.empty((10, len(times)))
    ends = [*doses[1:], max(times[-1], doses[-1])]
    for start, end in zip(doses, ends, strict=True):
        y[PLASMA] += p["dose"]
        inside = (times >= start) & (times < end) | ((times == end) & (end == ends[-1]))
        solution = solve_ivp(
            rhs,
            (start, end),
            y,
            method="LSODA",
            t_eval=np.union1d(times[inside], end),
            rtol=rtol,
            atol=atol,
        )
        if not solution.success:
            raise RuntimeError(f"LSODA failed: {solution.message}")
        states[:, inside] = solution.y[:, : int(inside.sum())]
        y = solution.y[:, -1].copy()
    return states


def repeated_doses(
    k_off: Array,
    transducer_k: Array,
    transit_rate: Array,
    clearance: Array,
    v_plasma: Array,
    q_exchange: Array,
    dose: float = 2000.0,
    doses: int = 4,
    dose_interval: float = 24.0,
    v_tissue: float = 20.0,
    r_total: float = 5.0,
    k_on: float = 1.0,
    k_response: float = 0.1,
    k_biomarker: float = 0.3,
    biomarker_gain: float = 4.0,
    output_step: float = 2.0,
    rtol: float = 1e-6,
) -> dict[str, Array]:
    """Plasma concentration and biomarker of one patient under repeated boluses.

    Parameters
    ----------
    k_off, transducer_k, transit_rate
        From :func:`studies.models.pkpd.cell_signalling`.
    clearance, v_plasma, q_exchange
        Plasma clearance (L/h), plasma volume (L), plasma-tissue exchange (L/h).
    dose, doses, dose_interval
        Bolus (nmol), number of boluses and hours between them; the fields run to
        ``doses x dose_interval``.
    v_tissue, r_total, k_on, k_response, k_biomarker, biomarker_gain
        As in :func:`studies.models.pkpd.body`.
    output_step
        Spacing of the field outputs, h.
    rtol
        Solver tolerance.

    Returns
    -------
    dict
        Fields over ``time``: ``plasma_conc`` (nM), ``biomarker`` (fold of baseline);
        scalars ``trough_conc`` (nM, just before the last bolus), ``biomarker_end``
        (at the horizon) and ``mass_error`` (largest deviation of the mass balance,
        relative to the dose).
    """
    micro, macro = (k_off, transducer_k, transit_rate), (clearance, v_plasma, q_exchange)
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (*micro, *macro)))
    samples = np.column_stack([a.ravel() for a in arrays])
    constants = dict(
        dose=dose,
        v_tissue=v_tissue,
        r_total=r_total,
        k_on=k_on,
        k_response=k_response,
        k_biomarker=k_biomarker,
        biomarker_gain=biomarker_gain,
    )
    bolus = dosing_times(doses, dose_interval)
    times = np.linspace(0.0, doses * dose_interval, round(doses * dose_interval / output_step) + 1)
    given = dose * np.searchsorted(bolus, times, side="right")
    trough = int(np.searchsorted(times, bolus[-1])) - 1
    rows = []
    for sample in samples:
        p = constants | dict(zip(SAMPLED, sample.tolist(), strict=True))
        s = simulate_doses(p, times, bolus, rtol)
        mass = s[PLASMA] + s[TISSUE] + v_tissue * s[COMPLEX] + s[ELIMINATED]
        plasma = s[PLASMA] / p["v_plasma"]
        rows.append(
            {
                "plasma_conc": plasma,
                "biomarker": s[BIOMARKER],
                "trough_conc": plasma[trough],
                "biomarker_end": s[BIOMARKER][-1],
                "mass_error": np.abs(mass - given).max() / dose,
            }
        )
    result = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    if np.ndim(k_off) == 0:  # called per sample (vectorized: false)
        return {key: value[0] for key, value in result.items()}
    return result
