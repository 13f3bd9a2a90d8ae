"""Bootstrap confidence intervals of PCE indices cover the exact values at their
nominal rate.

The model ``exp(a . x)`` of independent uniform inputs has closed-form indices and
an expansion with a small tail beyond degree 2, which the regression aliases into the
fitted coefficients: the index estimates have a genuine sampling error for the
intervals to cover. Designs are Monte Carlo (``rule: random``), for which the
bootstrap is calibrated; on Sobol' sequences the same intervals are conservative.
The half-widths add the fit's honest error to the bootstrap spread (see
:mod:`uqscale.analysis.bootstrap`), so they may cover somewhat more often than nominal,
but must stay narrow.
"""

import numpy as np
import xarray as xr
from scipy.stats import binom

from tests.conftest import uniform_study
from uqscale.analysis import pce
from uqscale.space import InputSpace

A = np.array([1.0, 0.6, 0.3])
LEVEL = 0.9
REPETITIONS = 40


def exact_indices(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices of ``exp(a . x)``, ``x ~ U(0, 1)^d``: a product of
    one-input factors with means ``m_i`` and second moments ``q_i``."""
    m = np.expm1(a) / a
    q = np.expm1(2 * a) / (2 * a)
    variance = np.prod(q) - np.prod(m**2)
    others = [np.delete(np.arange(len(a)), i) for i in range(len(a))]
    s1 = np.array([(q[i] - m[i] ** 2) * np.prod(m[o] ** 2) for i, o in enumerate(others)])
    st = np.array([(q[i] - m[i] ** 2) * np.prod(q[o]) for i, o in enumerate(others)])
    return s1 / variance, st / variance


def test_bootstrap_intervals_cover_at_their_nominal_rate():
    study = uniform_study(
        "exp",
        "m:f",
        3,
        [
            {
                "method": "pce",
                "order": 2,
                "n": 60,
                "rule": "random",
                "bootstrap": 200,
                "conf_level": LEVEL,
                "convergence": False,
            }
        ],
    )
    space, options = InputSpace(study.inputs), study.analysis[0].options
    s1, st = exact_indices(A)
    covered, widths = [], []
    for seed in range(REPETITIONS):
        rng = np.random.default_rng(seed)
        x = pce.sample(space, options, rng)
        design = xr.Dataset({n: ("sample", x[:, j]) for j, n in enumerate(space.names)})
        results = xr.Dataset({"y": ("sample", np.exp(x @ A))})
        found = pce.analyze(space, options, design, results, rng)["y"]
        covered.append(
            [
                np.abs(found["S1"].values - s1) <= found["S1_conf"].values,
                np.abs(found["ST"].values - st) <= found["ST_conf"].values,
            ]
        )
        widths.append(found["S1_conf"].values)
    rate = np.mean(covered)
    # S1 and ST of one input move together: count one trial per input and seed.
    trials = REPETITIONS * len(A)
    low = binom.ppf(0.001, trials, LEVEL) / trials
    assert rate >= low, f"coverage {rate:.3f} below {low:.3f}"
    assert np.median(widths) < 0.05 * s1.max(), "intervals too wide to say anything"
