"""When not to trust an expansion: its honest error against a threshold.

The honest error (``cv_error``: cross-validation of the whole fitting procedure, or
for least squares at a given degree Chapelle's corrected leave-one-out error) is the
share of the output's variance the expansion fails to predict on runs it was not
fitted to. Indices are variance shares, so an error ``eps`` can move any of them by
about ``eps``: above :data:`MAX_ERROR` (0.1, where the report's quality table says
"poor") the expansion is marked unreliable.
"""

from __future__ import annotations

import numpy as np

MAX_ERROR = 0.1
"""Largest honest relative error of a reliable expansion."""


def verdict(errors: np.ndarray, threshold: float = MAX_ERROR) -> tuple[np.ndarray, str]:
    """Whether each point's expansion can be trusted, and why not.

    Parameters
    ----------
    errors
        Honest relative errors ``(P,)`` (NaN where the output is constant).
    threshold
        Largest error of a reliable point.

    Returns
    -------
    reliable
        ``(P,)`` booleans; a constant point (NaN error) is reliable.
    reason
        Empty when every point is reliable, else one sentence naming the worst error.
    """
    errors = np.asarray(errors, dtype=float)
    reliable = ~(errors > threshold)
    if reliable.all():
        return reliable, ""
    worst = float(np.nanmax(errors))
    share = (
        ""
        if errors.size == 1
        else f" at {int((~reliable).sum())} of {errors.size} points (worst {worst:.3g})"
    )
    return (
        reliable,
        (
            f"honest (cross-validated) error {worst:.3g} of the variance"
            if not share
            else f"honest (cross-validated) error above {threshold:g}{share}"
        )
        + f" exceeds {threshold:g}: the indices may be off by about that much; "
        f"use more runs or a Saltelli (sobol) analysis",
    )
