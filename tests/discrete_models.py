"""Models of a categorical input, for tests of discrete inputs: ``y = f(scheme) + x``."""

from __future__ import annotations

import numpy as np

LEVEL = {"conventional": 0.0, "scale_aware": 1.0, "hybrid": 3.0}
"""``f``: the output's offset under each model variant."""


def variant(scheme, x):
    """Per sample: ``scheme`` must arrive as the variant's name (a string)."""
    if not isinstance(scheme, str):
        raise TypeError(f"scheme arrived as {type(scheme).__name__}, not as a string")
    return {"y": LEVEL[scheme] + x}


def variant_vectorized(scheme, x):
    """Vectorised: ``scheme`` is an array of the variants' names."""
    offsets = np.array([LEVEL[str(s)] for s in scheme])
    return {"y": offsets + np.asarray(x)}
