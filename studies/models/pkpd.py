"""Systems pharmacology: receptor signalling in the cell (micro) inside whole-body
pharmacokinetics, a tissue response and a blood biomarker (macro).

Micro step (:func:`cell_signalling`): a three-tier cascade in which each tier is
activated by the one above (the first by receptor occupancy ``u``) with gain ``g``
(activation over deactivation rate at full input) and deactivated at ``k_d``. At
quasi-steady state tier ``i`` is ``x_i = g x_{i-1} / (1 + g x_{i-1})``, and the
composition is hyperbolic in ``u``: ``1/x_3 = 1 + 1/g + 1/g^2 + 1/(g^3 u)``. The
normalised response is Black and Leff's operational model,
``r(u) = (1 + K) u / (u + K)`` with transducer constant ``K = 1 / (g + g^2 + g^3)``:
half of the maximal response at occupancy ``u50 = K / (1 + 2K)`` and free drug
``ec50 = Kd u50 / (1 - u50)`` (spare receptors when ``u50 < 1/2``). The cascade's
dynamics become a chain of three transit compartments whose rate is the harmonic
mean of the tiers' relaxation rates ``k_d (1 + g x_{i-1})`` at half-maximal input.

Macro step (:func:`body`), amounts in nmol, volumes in L, concentrations in nM, time
in h; an intravenous bolus ``dose`` into plasma at t = 0::

    A_p'  = -CL C_p - Q (C_p - C_t)                 plasma, C_p = A_p / V_p
    A_t'  =  Q (C_p - C_t) - V_t (k_on C_t R - k_off RC)   free drug in tissue
    RC'   =  k_on C_t R - k_off RC,  R = R_tot - RC         receptor complex (nM)
    T_1'  =  k_tr (r(RC / R_tot) - T_1),  T_2' = k_tr (T_1 - T_2),  T_3' = ...
    E'    =  k_e (T_3 - E)                                   tissue response
    B'    =  k_b (1 + s_b E - B)                             biomarker / baseline
    A_el' =  CL C_p,  AUC' = C_p

The exchange flux leaves plasma and enters tissue, and binding moves drug between
free and bound, so ``A_p + A_t + V_t RC + A_el`` stays equal to the dose. Each sample
is solved on its own with LSODA (stiff-safe, adaptive), so a sample's result does
not depend on its batch; the step takes floats (one sample, as the study runs it)
or arrays (a batch, solved one sample after another).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

Array = np.ndarray
GRID_STEP = 0.1
"""Time step (h) of the grid the scalar summaries (peaks) are taken on."""


def cell_signalling(
    kd: Array, signal_gain: Array, signal_rate: Array, k_on: float = 1.0
) -> dict[str, Array]:
    """Operational-model constants of the receptor and its three-tier cascade.

    Parameters
    ----------
    kd
        Dissociation constant of drug and receptor, nM.
    signal_gain
        Gain ``g`` of each tier (activation over deactivation rate at full input).
    signal_rate
        Deactivation rate ``k_d`` of each tier, 1/h.
    k_on
        Association rate constant, 1/(nM h).

    Returns
    -------
    dict
        ``k_off`` (1/h), ``transducer_k``, ``occupancy50``, ``ec50`` (nM),
        ``transit_rate`` (1/h).
    """
    kd, g, rate = (np.asarray(a, dtype=float) for a in (kd, signal_gain, signal_rate))
    k = 1.0 / (g + g**2 + g**3)
    u50 = k / (1.0 + 2.0 * k)
    x1 = g * u50 / (1.0 + g * u50)
    x2 = g * x1 / (1.0 + g * x1)
    relaxation = rate * (1.0 + g * u50), rate * (1.0 + g * x1), rate * (1.0 + g * x2)
    transit = 3.0 / sum(1.0 / r for r in relaxation)
    return {
        "k_off": kd * k_on,
        "transducer_k": k,
        "occupancy50": u50,
        "ec50": kd * u50 / (1.0 - u50),
        "transit_rate": transit,
    }


def _rhs(p: dict[str, float]):
    """The right-hand side of one sample's system, with its parameters bound."""
    v_p, v_t, q, cl = p["v_plasma"], p["v_tissue"], p["q_exchange"], p["clearance"]
    k_on, k_off, r_total, k = p["k_on"], p["k_off"], p["r_total"], p["transducer_k"]
    k_tr, k_e, k_b, s_b = p["transit_rate"], p["k_response"], p["k_biomarker"], p["biomarker_gain"]
    dy = np.empty(10)

    def rhs(t: float, y: Array) -> Array:
        a_p, a_t, rc, t1, t2, t3, e, b, _, _ = y
        c_p, c_t = a_p / v_p, a_t / v_t
        exchange = q * (c_p - c_t)
        binding = k_on * c_t * (r_total - rc) - k_off * rc
        u = rc / r_total
        dy[0] = -cl * c_p - exchange
        dy[1] = exchange - v_t * binding
        dy[2] = binding
        dy[3] = k_tr * ((1.0 + k) * u / (u + k) - t1)
        dy[4] = k_tr * (t1 - t2)
        dy[5] = k_tr * (t2 - t3)
        dy[6] = k_e * (t3 - e)
        dy[7] = k_b * (1.0 + s_b * e - b)
        dy[8] = cl * c_p
        dy[9] = c_p
        return dy.copy()

    return rhs


def simulate(p: dict[str, float], times: Array, rtol: float = 1e-8) -> dict[str, Array]:
    """One sample: the states on ``times`` (rows: time) by name, and the solver's
    statistics.

    Parameters
    ----------
    p
        Every rate constant and volume named in the module's equations, and ``dose``.
    times
        Increasing output times starting at 0, h.
    rtol
        Relative tolerance of LSODA (the absolute one follows from the dose).
    """
    y0 = np.zeros(10)
    y0[0], y0[7] = p["dose"], 1.0
    atol = np.full(10, rtol * 1e-3)
    atol[[0, 1, 8]] = rtol * 1e-3 * p["dose"]
    atol[[2, 9]] = rtol * 1e-3 * p["dose"] / p["v_plasma"]
    solution = solve_ivp(
        _rhs(p), (times[0], times[-1]), y0, method="LSODA", t_eval=times, rtol=rtol, atol=atol
    )
    if not solution.success:
        raise RuntimeError(f"LSODA failed: {solution.message}")
    names = (
        "plasma",
        "tissue",
        "complex",
        "t1",
        "t2",
        "t3",
        "response",
        "biomarker",
        "eliminated",
        "auc",
    )
    states = dict(zip(names, solution.y, strict=True))
    states["nfev"] = np.array(solution.nfev)
    return states


def body(
    k_off: Array,
    transducer_k: Array,
    transit_rate: Array,
    clearance: Array,
    v_plasma: Array,
    q_exchange: Array,
    dose: float = 2000.0,
    v_tissue: float = 20.0,
    r_total: float = 5.0,
    k_on: float = 1.0,
    k_response: float = 0.1,
    k_biomarker: float = 0.3,
    biomarker_gain: float = 4.0,
    t_end: float = 72.0,
    output_step: float = 3.0,
    rtol: float = 1e-8,
) -> dict[str, Array]:
    """Pharmacokinetics, binding, transduction, tissue response and biomarker.

    Parameters
    ----------
    k_off, transducer_k, transit_rate
        From :func:`cell_signalling`.
    clearance, v_plasma, q_exchange
        Plasma clearance (L/h), plasma volume (L), plasma-tissue exchange (L/h).
    dose, v_tissue, r_total, k_on
        Bolus (nmol), tissue volume (L), receptor concentration in tissue (nM),
        association rate constant (1/(nM h)).
    k_response, k_biomarker, biomarker_gain
        Tissue response rate (1/h), biomarker turnover (1/h), fold rise of the
        biomarker per unit response.
    t_end, output_step
        Horizon and spacing of the field outputs (h).
    rtol
        Solver tolerance.

    Returns
    -------
    dict
        Scalars ``auc_plasma`` (nM h, 0 to ``t_end``), ``peak_occupancy``,
        ``final_occupancy``, ``biomarker_peak`` (fold of baseline),
        ``biomarker_peak_time`` (h), ``mass_error`` (largest relative deviation of
        the drug's mass balance); fields over ``time`` (every ``output_step`` h):
        ``plasma_conc`` (nM) and ``biomarker`` (fold of baseline).
    """
    columns = np.broadcast_arrays(
        *(
            np.asarray(a, dtype=float)
            for a in (k_off, transducer_k, transit_rate, clearance, v_plasma, q_exchange)
        )
    )
    names = ("k_off", "transducer_k", "transit_rate", "clearance", "v_plasma", "q_exchange")
    fixed = {
        "dose": dose,
        "v_tissue": v_tissue,
        "r_total": r_total,
        "k_on": k_on,
        "k_response": k_response,
        "k_biomarker": k_biomarker,
        "biomarker_gain": biomarker_gain,
    }
    every = round(output_step / GRID_STEP)
    times = np.linspace(0.0, t_end, round(t_end / GRID_STEP) + 1)
    rows = []
    for values in zip(*(c.ravel() for c in columns), strict=True):
        p = {**fixed, **dict(zip(names, values, strict=True))}
        s = simulate(p, times, rtol)
        occupancy = s["complex"] / r_total
        mass = s["plasma"] + s["tissue"] + v_tissue * s["complex"] + s["eliminated"]
        peak = int(np.argmax(s["biomarker"]))
        rows.append(
            {
                "auc_plasma": s["auc"][-1],
                "peak_occupancy": occupancy.max(),
                "final_occupancy": occupancy[-1],
                "biomarker_peak": s["biomarker"][peak],
                "biomarker_peak_time": times[peak],
                "mass_error": np.abs(mass - dose).max() / dose,
                "plasma_conc": s["plasma"][::every] / p["v_plasma"],
                "biomarker": s["biomarker"][::every],
            }
        )
    result = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    if np.ndim(k_off) == 0:  # called per sample (vectorized: false): one sample's values
        return {key: value[0] for key, value in result.items()}
    return result
