"""Literature benchmark functions for sensitivity analysis, with their exact indices.

Shared by ``benchmarks/pce_accuracy.py`` and the PCE tests. Every problem is a
vectorised function of a design matrix ``(n, d)`` in physical units, its inputs as
study-file distributions, and its exact first-order and total indices: from closed
forms where the function has them, else (``reference=True``) computed by the
benchmark from a very large least-squares expansion (see :func:`reference_indices`).

Sources
-------
- Ishigami and Homma (1990), "An importance quantification technique in uncertainty
  analysis for computer models", Proc. ISUMA '90, 398-403; indices in closed form,
  e.g. Sobol' and Levitan (1999) or Saltelli et al. (2008, Global Sensitivity Analysis:
  The Primer, Wiley), section 4.9.
- Sobol' G-function: Saltelli and Sobol' (1995), Reliab. Eng. Syst. Saf. 50:225;
  product-form indices ``V_i = 1 / (3 (1 + a_i)^2)``.
- Sobol' and Levitan (1999), "On the use of variance reducing multipliers in Monte
  Carlo computations of a global sensitivity index", Comput. Phys. Commun.
  117:52-61: ``exp(sum b_i x_i) - prod (e^{b_i} - 1) / b_i`` (product-form indices).
- Bratley, Fox and Niederreiter (1992), ACM TOMACS 2:195 (the "K-function"
  ``sum_i (-1)^i prod_{j<=i} x_j``, used for indices by Saltelli et al. 2010, Comput.
  Phys. Commun. 181:259); exact indices here from its exact Legendre expansion (it is
  multilinear).
- Borehole: Harper and Gupta (1983), NUREG/CR-3328; Morris, Mitchell and Ylvisaker
  (1993), Technometrics 35:243 (inputs and ranges as in Surjanovic and Bingham's
  Virtual Library of Simulation Experiments).
- Piston: Kenett and Zacks (1998), Modern Industrial Statistics, Duxbury; Ben-Ari and
  Steinberg (2007), Qual. Eng. 19:327.
- Wing weight: Forrester, Sobester and Keane (2008), Engineering Design via Surrogate
  Modelling, Wiley, p. 14.
- A step (discontinuous) function and a field output with closed-form indices per
  point, derived below (``step``, ``field``).
- Oakley and O'Hagan (2004), J. R. Stat. Soc. B 66:751: 15 standard normal inputs,
  the published coefficients in ``oakley_ohagan_2004.json``, indices in closed form
  (:mod:`uqscale.analysis.pce_oakley`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field  # `field` is the benchmark below
from itertools import combinations
from typing import Any, cast

import numpy as np

from uqscale.analysis.pce_oakley import INPUTS, oakley_ohagan, oakley_ohagan_exact
from uqscale.space import InputSpace
from uqscale.testfunctions import gfunction, ishigami


@dataclass(frozen=True)
class Benchmark:
    """A benchmark function of independent inputs.

    Attributes
    ----------
    name
        Short name.
    inputs
        Input name to its study-file distribution (``{"distribution": ..., ...}``).
    function
        ``(n, d)`` physical inputs to outputs ``(n,)``, or ``(n, P)`` for a field.
    s1, st
        Exact indices ``(d,)`` or ``(d, P)``; empty for ``reference`` problems.
    smooth
        False for functions with kinks or jumps (the hard cases for an expansion).
    reference
        Whether the exact indices come from :func:`reference_indices`.
    """

    name: str
    inputs: dict[str, dict[str, Any]]
    function: Callable[[np.ndarray], np.ndarray]
    s1: np.ndarray = dataclass_field(default_factory=lambda: np.zeros(0))
    st: np.ndarray = dataclass_field(default_factory=lambda: np.zeros(0))
    smooth: bool = True
    reference: bool = False

    @property
    def dimension(self) -> int:
        """Number of inputs."""
        return len(self.inputs)


def input_space(problem: Benchmark) -> InputSpace:
    """The problem's inputs, as uqscale sees them (through a study file's ``inputs``)."""
    from uqscale.study import Study

    study = Study.from_dict(
        {
            "study": problem.name,
            "inputs": problem.inputs,
            "analysis": [{"method": "moments"}],
            "models": [
                {"name": "f", "python": "m:f", "inputs": list(problem.inputs), "outputs": ["y"]}
            ],
        }
    )
    return InputSpace(study.inputs)


def uniform_inputs(bounds: list[tuple[float, float]]) -> dict[str, dict[str, Any]]:
    """Inputs ``x1 ..`` uniform on the given ``(low, high)`` bounds."""
    return {
        f"x{i}": {"distribution": "uniform", "low": lo, "high": hi}
        for i, (lo, hi) in enumerate(bounds, start=1)
    }


def product_indices(partial: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices of ``prod_i (1 + g_i(x_i))`` with ``E g_i = 0`` and
    ``Var g_i = partial[i]``: every subset's variance is the product of its members'."""
    total = np.prod(1.0 + partial) - 1.0
    st = np.array([partial[i] * np.prod(np.delete(1.0 + partial, i)) for i in range(len(partial))])
    return partial / total, st / total


def ishigami_exact(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices of the Ishigami function
    ``sin x1 + a sin^2 x2 + b x3^4 sin x1``.

    Parameters
    ----------
    a, b
        The function's constants.

    Returns
    -------
    tuple of numpy.ndarray
        ``S1`` and ``ST``, ``(3,)`` each.
    """
    pi4, pi8 = np.pi**4, np.pi**8
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a**2 / 8.0
    v13 = b**2 * pi8 * (1.0 / 18.0 - 1.0 / 50.0)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def gfunction_exact(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices of the G-function with coefficients ``a``."""
    return product_indices(1.0 / (3.0 * (1.0 + np.asarray(a, dtype=float)) ** 2))


def sobol_levitan_exact(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``exp(b . x)``, ``x ~ U(0, 1)^d``: a product of one-input factors
    ``e^{b_i x_i}`` with means ``m_i`` and second moments ``q_i``."""
    b = np.asarray(b, dtype=float)
    m, q = np.expm1(b) / b, np.expm1(2 * b) / (2 * b)
    return product_indices(q / m**2 - 1.0)


def bratley_exact(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``sum_{i=1}^d (-1)^i prod_{j<=i} x_j``, ``x ~ U(0, 1)^d``, from its
    exact expansion: ``x = 1/2 + L1(x) / (2 sqrt 3)`` with ``L1`` the orthonormal
    Legendre polynomial, so the term of the subset ``S`` of ``{1..i}`` has coefficient
    ``(-1)^i (1/2)^(i - |S|) (2 sqrt 3)^-|S|`` summed over the ``i >= max S``."""
    variance: dict[tuple[int, ...], float] = {}
    for size in range(1, d + 1):
        for subset in combinations(range(d), size):
            c = sum(
                (-1) ** (i + 1) * 0.5 ** (i + 1 - size) * (2 * np.sqrt(3)) ** -size
                for i in range(max(subset), d)
            )
            variance[subset] = c**2
    total = sum(variance.values())
    s1 = np.array([variance[(i,)] for i in range(d)]) / total
    st = np.array([sum(v for s, v in variance.items() if i in s) for i in range(d)]) / total
    return s1, st


def step(x: np.ndarray) -> np.ndarray:
    """``H (1 + x2) + x3 / 2`` with ``H = 1[x1 > 1/2]``, ``x ~ U(0, 1)^3``: a jump in x1.
    With ``U = H (1 + x2)``: ``Var U = 29/48``, ``Var E[U|x1] = 27/48``,
    ``Var E[U|x2] = 1/48``, the x1-x2 interaction ``1/48``; ``Var(x3 / 2) = 1/48``;
    total ``30/48``."""
    return (x[:, 0] > 0.5) * (1.0 + x[:, 1]) + 0.5 * x[:, 2]


TIMES = np.linspace(0.0, 1.0, 11)


def field(x: np.ndarray) -> np.ndarray:
    """``x1 + t x2 + t x1 x3`` at the times :data:`TIMES`, ``x ~ U(0, 1)^3``."""
    return cast("np.ndarray", x[:, :1] + TIMES * x[:, 1:2] + TIMES * x[:, :1] * x[:, 2:3])


def field_exact() -> tuple[np.ndarray, np.ndarray]:
    """Indices of :func:`field` per time: with ``x_i = 1/2 + u_i`` (variance
    ``s = 1/12``) it is ``u1 (1 + t/2) + t u2 + (t/2) u3 + t u1 u3`` plus a constant."""
    s, t = 1.0 / 12.0, TIMES
    v1, v2, v3, v13 = (1 + t / 2) ** 2 * s, t**2 * s, t**2 / 4 * s, t**2 * s**2
    total = v1 + v2 + v3 + v13
    return np.array([v1, v2, v3]) / total, np.array([v1 + v13, v2, v3 + v13]) / total


def borehole(x: np.ndarray) -> np.ndarray:
    """Water flow through a borehole (m^3/yr)."""
    rw, r, tu, hu, tl, hl, length, kw = x.T
    log_ratio = np.log(r / rw)
    return cast(
        "np.ndarray",
        2
        * np.pi
        * tu
        * (hu - hl)
        / (log_ratio * (1 + 2 * length * tu / (log_ratio * rw**2 * kw) + tu / tl)),
    )


def piston(x: np.ndarray) -> np.ndarray:
    """Cycle time of a piston (s)."""
    m, s, v0, k, p0, ta, t0 = x.T
    a = p0 * s + 19.62 * m - k * v0 / s
    v = s / (2 * k) * (np.sqrt(a**2 + 4 * k * p0 * v0 * ta / t0) - a)
    return cast("np.ndarray", 2 * np.pi * np.sqrt(m / (k + s**2 * p0 * v0 * ta / (t0 * v**2))))


def wing_weight(x: np.ndarray) -> np.ndarray:
    """Weight of a light aircraft's wing (lb); the sweep angle in degrees."""
    sw, wfw, a, sweep, q, taper, tc, nz, wdg, wp = x.T
    cos = np.cos(np.deg2rad(sweep))
    return cast(
        "np.ndarray",
        0.036
        * sw**0.758
        * wfw**0.0035
        * (a / cos**2) ** 0.6
        * q**0.006
        * taper**0.04
        * (100 * tc / cos) ** -0.3
        * (nz * wdg) ** 0.49
        + sw * wp,
    )


def _g(a: tuple[float, ...]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: gfunction(a, **{f"x{i + 1}": x[:, i] for i in range(len(a))})["y"]


def _ishigami(a: float, b: float) -> Callable[[np.ndarray], np.ndarray]:
    # `*x.T` unpacks exactly x1, x2, x3; the cast tells mypy it cannot also fill a, b
    call = cast("Callable[..., dict[str, np.ndarray]]", ishigami)
    return lambda x: call(*x.T, a=a, b=b)["y"]


G_SETS = {
    "g8": (0, 1, 4.5, 9, 99, 99, 99, 99),
    "g6": (0, 0.5, 3, 9, 99, 99),
    "g10": tuple(0.5 * i for i in range(10)),
}
SOBOL_LEVITAN_B = (1.5, 0.9, 0.6, 0.3, 0.3, 0.1, 0.1, 0.1)
BRATLEY_D = 10
UNIT = (0.0, 1.0)
PI = (-np.pi, np.pi)


def benchmarks() -> dict[str, Benchmark]:
    """The benchmark set, by name."""
    found = {
        "ishigami": Benchmark(
            "ishigami", uniform_inputs([PI] * 3), _ishigami(7.0, 0.1), *ishigami_exact(7.0, 0.1)
        ),
        "ishigami-5-0.5": Benchmark(
            "ishigami-5-0.5",
            uniform_inputs([PI] * 3),
            _ishigami(5.0, 0.5),
            *ishigami_exact(5.0, 0.5),
        ),
        "sobol-levitan": Benchmark(
            "sobol-levitan",
            uniform_inputs([UNIT] * len(SOBOL_LEVITAN_B)),
            lambda x: (
                np.exp(x @ np.asarray(SOBOL_LEVITAN_B))
                - np.prod(np.expm1(SOBOL_LEVITAN_B) / np.asarray(SOBOL_LEVITAN_B))
            ),
            *sobol_levitan_exact(np.asarray(SOBOL_LEVITAN_B)),
        ),
        "bratley": Benchmark(
            "bratley",
            uniform_inputs([UNIT] * BRATLEY_D),
            lambda x: np.sum((-1.0) ** np.arange(1, BRATLEY_D + 1) * np.cumprod(x, axis=1), axis=1),
            *bratley_exact(BRATLEY_D),
        ),
        "step": Benchmark(
            "step",
            uniform_inputs([UNIT] * 3),
            step,
            np.array([27, 1, 1]) / 30,
            np.array([28, 2, 1]) / 30,
            smooth=False,
        ),
        "field": Benchmark("field", uniform_inputs([UNIT] * 3), field, *field_exact()),
        "oakley-ohagan": Benchmark(
            "oakley-ohagan",
            {
                f"x{i}": {"distribution": "normal", "mean": 0.0, "std": 1.0}
                for i in range(1, INPUTS + 1)
            },
            oakley_ohagan,
            *oakley_ohagan_exact(),
        ),
        "borehole": Benchmark(
            "borehole",
            {
                "rw": {"distribution": "normal", "mean": 0.10, "std": 0.0161812},
                "r": {"distribution": "lognormal", "mu": 7.71, "sigma": 1.0056},
                **{
                    name: {"distribution": "uniform", "low": lo, "high": hi}
                    for name, (lo, hi) in {
                        "Tu": (63070, 115600),
                        "Hu": (990, 1110),
                        "Tl": (63.1, 116),
                        "Hl": (700, 820),
                        "L": (1120, 1680),
                        "Kw": (9855, 12045),
                    }.items()
                },
            },
            borehole,
            reference=True,
        ),
        "piston": Benchmark(
            "piston",
            uniform_inputs(
                [
                    (30, 60),
                    (0.005, 0.020),
                    (0.002, 0.010),
                    (1000, 5000),
                    (90000, 110000),
                    (290, 296),
                    (340, 360),
                ]
            ),
            piston,
            reference=True,
        ),
        "wing-weight": Benchmark(
            "wing-weight",
            uniform_inputs(
                [
                    (150, 200),
                    (220, 300),
                    (6, 10),
                    (-10, 10),
                    (16, 45),
                    (0.5, 1),
                    (0.08, 0.18),
                    (2.5, 6),
                    (1700, 2500),
                    (0.025, 0.08),
                ]
            ),
            wing_weight,
            reference=True,
        ),
    }
    for name, a in G_SETS.items():
        found[name] = Benchmark(
            name,
            uniform_inputs([UNIT] * len(a)),
            _g(a),
            *gfunction_exact(np.asarray(a)),
            smooth=False,
        )
    return found
