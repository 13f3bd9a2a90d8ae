"""Test models that break on chosen samples: the contract, or the worker process itself."""

import numpy as np


def returns_wrong_things(x1, x2, bad_above):
    """y = x1 + x2 per sample; above ``bad_above`` a list (not a mapping) comes back."""
    if x1 > bad_above:
        return [x1, x2]
    return {"y": x1 + x2}


def vectorized_wrong_shape(x1, x2, bad_above):
    """y = x1 + x2 for a batch; a batch holding an x1 above ``bad_above`` returns
    ``y`` with one value too few."""
    y = np.asarray(x1) + np.asarray(x2)
    return {"y": y[:-1] if np.any(np.asarray(x1) > bad_above) else y}


def kills_its_process(x1, x2, segfault_below, kill_above):
    """y = x1 + x2; segfaults (a null read through ctypes) below ``segfault_below`` and
    is killed as the out-of-memory killer does (SIGKILL) above ``kill_above``."""
    import ctypes
    import os
    import signal

    if x1 < segfault_below:
        ctypes.string_at(0)
    if x1 > kill_above:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": x1 + x2}
