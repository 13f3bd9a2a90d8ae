"""A micro-scale model for the command-step tests: the effective diffusivity of a
porous medium, ``D = D0 * porosity / tortuosity``."""

import numpy as np


def effective_diffusivity(phi, tau, D0):  # noqa: N803 (the physicists' name)
    """Effective diffusivity of a medium of porosity ``phi`` and tortuosity ``tau``."""
    return {"D": D0 * np.asarray(phi) / np.asarray(tau)}
