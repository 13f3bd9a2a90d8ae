"""A two-scale chain with group indices derivable by hand.

micro: m = x1 + 2 x2; macro: y = m x3; x1, x2, x3 ~ U(0, 1) independent.
Var m = 5/12, E m = 3/2; Var y = E[m^2] E[x3^2] - (E m E x3)^2 = 47/144.
V_micro = Var(E[y | x1, x2]) = Var(m / 2) = 5/48; V_macro = Var(3/2 x3) = 3/16;
the interaction Var m Var x3 = 5/144.
"""

import numpy as np

VARIANCE = 47 / 144
GROUPS = {
    "S1": {"micro": (5 / 48) / VARIANCE, "macro": (3 / 16) / VARIANCE},
    "ST": {"micro": (5 / 48 + 5 / 144) / VARIANCE, "macro": (3 / 16 + 5 / 144) / VARIANCE},
}


def micro(x1, x2):
    """m = x1 + 2 x2."""
    return {"m": np.asarray(x1) + 2 * np.asarray(x2)}


def macro(m, x3):
    """y = m x3."""
    return {"y": np.asarray(m) * np.asarray(x3)}
