"""A model state carried between cycles (``update: state`` or ``both``).

Each cycle's forecast is a run of its own (:mod:`uqscale.assimilation.cycles`): a study
whose uncertain inputs are the study's own and one column per state variable
(``OUTPUT_0``, ``OUTPUT_1``, ...), whose design rows are the analysis members of the
cycle before, and whose only step is :func:`advance`, a vectorised step that calls the
user's step ``step(state, start, until, **parameters) -> state`` once per member.
The design therefore carries the whole ensemble: a resumed cycle reruns its stored
design, bit for bit.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from uqscale.assimilation import filters
from uqscale.models.loading import load_callable
from uqscale.sampling import block_rng
from uqscale.study.assimilate import Observations, State, read_state_truth
from uqscale.study.model import ModelStep, OutputSpec, Study, UncertainInput

STEPPER = "uqscale.assimilation.state:advance"
INITIAL_KEY = "assimilate.state.initial"


def state_spec(study: Study) -> OutputSpec:
    """The field output the study's state is (``assimilate.state.output``)."""
    state = _state(study)
    return next(o for o in study.outputs if o.name == state.output)


def state_coords(study: Study) -> np.ndarray:
    """The coordinates of the state variables (along the state output's dim)."""
    spec = state_spec(study)
    return np.asarray(spec.coords[spec.dims[0]], dtype=float)


def state_names(study: Study) -> list[str]:
    """The forecast study's input name of each state variable: ``OUTPUT_i``."""
    output = _state(study).output
    return [f"{output}_{i}" for i in range(len(state_coords(study)))]


def initial_states(study: Study, members: int) -> np.ndarray:
    """The members' states at the start: ``mean + sd * N(0, 1)``, from the study seed.

    Parameters
    ----------
    study
        The study (its ``assimilate.state``).
    members
        Ensemble size ``N``.

    Returns
    -------
    numpy.ndarray
        ``(N, n)``.
    """
    state = _state(study)
    noise = block_rng(study.seed, INITIAL_KEY).standard_normal((members, len(state_coords(study))))
    initial: np.ndarray = np.asarray(state.initial_mean) + state.initial_sd * noise
    return initial


def forecast_study(study: Study, start: float, until: float) -> Study:
    """The study of one cycle's forecast from ``start`` to ``until``: the study's inputs
    and the state variables, through :func:`advance` around the study's only step.

    Parameters
    ----------
    study
        The assimilation study (one step, a carried state).
    start, until
        The forecast's interval.

    Returns
    -------
    Study
    """
    from uqscale.study.model import Output

    state = _state(study)
    step = study.models[0]
    names = state_names(study)
    means = np.broadcast_to(np.asarray(state.initial_mean, dtype=float), len(names))
    nominal = [
        UncertainInput(name, "normal", {"mean": float(mean), "std": state.initial_sd})
        for name, mean in zip(names, means, strict=True)
    ]
    wrapper = ModelStep(
        name=step.name,
        python=STEPPER,
        inputs=(*step.inputs, *names),
        outputs=(state_spec(study),),
        parameters={
            **step.parameters,
            "step": step.python,
            "base_dir": str(study.base_dir or "."),
            "output": state.output,
            "size": len(names),
            "start": float(start),
            "until": float(until),
        },
        vectorized=True,
    )
    return replace(
        study,
        inputs=(*study.inputs, *nominal),
        models=(wrapper,),
        assimilate=None,
        analysis=(),
        verification=(),
        output=Output(report=False),
    )


def advance(
    step: str, base_dir: str, output: str, size: int, start: float, until: float, **columns: Any
) -> dict[str, np.ndarray]:
    """The vectorised forecast step: each member's state from ``start`` to ``until``.

    Parameters
    ----------
    step
        The user's step, ``module:function`` (``step(state, start, until, **parameters)
        -> state``).
    base_dir
        The study's folder (where ``module`` is found).
    output
        The state output's name; the state variables arrive as ``OUTPUT_i``.
    size
        The number of state variables.
    start, until
        The forecast's interval.
    **columns
        The batch's state variables and inputs (arrays), and the step's fixed
        parameters.

    Returns
    -------
    dict
        ``{output: (batch, size)}``: the forecast states.
    """
    function = load_callable(step, Path(base_dir), "models[0].python")
    states = np.column_stack([np.asarray(columns.pop(f"{output}_{i}")) for i in range(size)])
    forecast = np.empty_like(states, dtype=float)
    for member, state in enumerate(states):
        arguments = {k: _member(v, member) for k, v in columns.items()}
        forecast[member] = np.asarray(function(state.copy(), start, until, **arguments))
    return {output: forecast}


def _member(value: Any, member: int) -> Any:
    """One member's value of an input column (arrays), or a fixed parameter."""
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return value[member].item()
    return value


def predicted_state(
    study: Study, states: np.ndarray, observations: Observations, rows: np.ndarray
) -> np.ndarray:
    """The state read (linearly interpolated, around the ring when ``periodic``) at
    each observation row's coordinate.

    Parameters
    ----------
    study
        The study.
    states
        The members' states ``(N, n)``.
    observations
        Every observation (with a coordinate column).
    rows
        The rows to predict.

    Returns
    -------
    numpy.ndarray
        ``(N, len(rows))``.
    """
    coords = state_coords(study)
    assert observations.coordinate is not None, "check_assimilate refuses a state without one"
    where = observations.coordinate[rows]
    period = _period(study)
    return np.array([np.interp(where, coords, member, period=period) for member in states])


def distances(study: Study, where: np.ndarray) -> np.ndarray:
    """``(n, len(where))`` distances between the state variables and the positions
    ``where`` (the shorter way around the ring when ``periodic``).

    Parameters
    ----------
    study
        The study.
    where
        Positions along the state's coordinate.

    Returns
    -------
    numpy.ndarray
    """
    distance: np.ndarray = np.abs(state_coords(study)[:, None] - np.asarray(where)[None, :])
    return _around(distance, _period(study))


def localised_filter(
    study: Study, observations: Observations, rows: np.ndarray, inputs: int
) -> Any:
    """The cycle's analysis step on ``[inputs, state]``: the block's method, tapered by
    Gaspari-Cohn of the distance when ``localisation`` is set (inputs have no position:
    every observation stays local to them).

    Parameters
    ----------
    study
        The study.
    observations
        Every observation.
    rows
        The cycle's rows.
    inputs
        How many updated inputs precede the state variables.

    Returns
    -------
    callable
        ``update(states, predicted, y, error_std, rng, inflation) -> analysis``.
    """
    block = study.assimilate
    assert block is not None and observations.coordinate is not None, "a state study"
    where = observations.coordinate[rows]
    radius = block.localisation
    near = (
        np.ones((len(state_coords(study)), len(rows)))
        if radius is None
        else filters.gaspari_cohn(distances(study, where), radius)
    )
    taper = np.vstack([np.ones((inputs, len(rows))), near])
    if block.method == "letkf":
        return partial(filters.letkf, taper=taper)
    if block.method == "enkf" and radius is not None:
        between = _around(np.abs(where[:, None] - where[None, :]), _period(study))
        return partial(filters.enkf, taper=(taper, filters.gaspari_cohn(between, radius)))
    return filters.enkf if block.method == "enkf" else filters.etkf


def read_truth(study: Study, observations: Observations) -> dict[float, np.ndarray] | None:
    """The true state at each cycle's time (``assimilate.state.truth``), ordered as the
    state variables; None without one.

    Parameters
    ----------
    study
        The study.
    observations
        Its observations (their times are the cycles').

    Returns
    -------
    dict or None
    """
    state = _state(study)
    if state.truth is None:
        return None
    path = Path(study.base_dir or ".") / state.truth
    return read_state_truth(path, state_coords(study), observations.times)


def _around(distance: np.ndarray, period: float | None) -> np.ndarray:
    """Distances the shorter way around a ring of length ``period`` (None: a line)."""
    return distance if period is None else np.minimum(distance, period - distance)


def _period(study: Study) -> float | None:
    """The ring's length when the state is periodic (its coordinates evenly spaced)."""
    if not _state(study).periodic:
        return None
    coords = state_coords(study)
    return float(coords[-1] - coords[0] + (coords[1] - coords[0]))


def _state(study: Study) -> State:
    block = study.assimilate
    assert block is not None and block.state is not None, "only a state study carries one"
    return block.state


def checked_study(study: Study) -> Study:
    """The study whose steps :func:`~uqscale.models.signatures.check_models` checks: a
    study with a carried state runs its step through :func:`advance` (the step's own
    ``state, start, until`` are not inputs), so its forecast study is checked."""
    block = study.assimilate
    if block is None or block.state is None:
        return study
    return forecast_study(study, block.state.start, block.state.start)
