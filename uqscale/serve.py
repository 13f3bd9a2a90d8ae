"""``uqscale serve``: a study's model graph as a UM-Bridge model (the server side).

The served model takes one input vector, the study's uncertain inputs in declared
order, and gives one output vector per output of the served step (the last one in
execution order, or a named one), a field flattened in C order. Each evaluation goes
through the same :class:`~uqscale.models.evaluate.Pipeline` as a run (its policies:
``execution.retries``, ``execution.nonfinite``, timeouts); a failed sample becomes an
HTTP 500 answer ``{"error": {"type", "message"}}`` naming the step and the reason.
The request's ``config`` sets parameters of the served steps (a grid level, say);
an unknown key is an HTTP 400 answer.

What is served is a :class:`umbridge.Model`: :class:`StudyModel` runs the study's
models; :class:`SurrogateModel` (``uqscale serve RUN --surrogate OUTPUT``) evaluates
the PCE expansion a run stored for one output (:mod:`uqscale.surrogate`), the same
vectors in and out, with no model code.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from uqscale.analysis.dims import TERM
from uqscale.errors import StudyError, UqscaleError
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.study.graph import step_order
from uqscale.study.model import ModelStep, OutputSpec, Study
from uqscale.surrogate import Surrogate

try:
    import umbridge
    from aiohttp import web
except ImportError:  # the umbridge extra is not installed: say so when serving
    umbridge = web = None  # type: ignore[assignment]

_Model: Any = umbridge.Model if umbridge else object
"""The base of served models (``object`` without the umbridge extra)."""

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def served_study(study: Study, step: str | None = None) -> tuple[Study, ModelStep]:
    """The part of ``study`` that computes ``step`` (default: the last step to run).

    Parameters
    ----------
    study
        The study.
    step
        Name of the step whose outputs are served.

    Returns
    -------
    (Study, ModelStep)
        The study reduced to the served step and the steps it needs (without analyses,
        verification cases or a resolution sweep: a request's ``config`` sets the
        swept parameter), and the served step.

    Raises
    ------
    StudyError
        At ``--step`` for a name that is no step of the study.
    """
    order = step_order(study.models, study.input_names)
    names = [m.name for m in study.models]
    if step is not None and step not in names:
        raise StudyError(
            "--step", f"'{step}' is not a step of study '{study.name}' (steps: {', '.join(names)})"
        )
    target = study.models[names.index(step) if step else order[-1]]
    producer = {o: m for m in study.models for o in m.output_names}
    needed, todo = {target.name}, [target]
    while todo:
        for name in todo.pop().inputs:
            if name in producer and producer[name].name not in needed:
                needed.add(producer[name].name)
                todo.append(producer[name])
    reduced = study.replace(
        models=tuple(m for m in study.models if m.name in needed),
        analysis=(),
        verification=(),
        resolution=None,
    )
    return reduced, target


def output_size(spec: OutputSpec, path: str) -> int:
    """Numbers in output ``spec``'s vector: 1 for a scalar, the product of its coords'
    lengths for a field (which must give coords for every dim).

    Parameters
    ----------
    spec
        A served output's declaration.
    path
        Its field path (``models[i].outputs[k]``), named when coords are missing.

    Returns
    -------
    int
        The length of the output's vector in the UM-Bridge answer.

    Raises
    ------
    StudyError
        At ``PATH.coords`` for a field dim without coords.
    """
    missing = [dim for dim in spec.dims if dim not in spec.coords]
    if missing:
        raise StudyError(
            f"{path}.coords",
            f"output '{spec.name}' has no coords for {missing}: a served field needs a known size",
        )
    return math.prod(len(spec.coords[dim]) for dim in spec.dims)


class StudyModel(_Model):  # type: ignore[misc]
    """A study's model graph as a :class:`umbridge.Model`.

    Parameters
    ----------
    study
        The study.
    step
        The step whose outputs are served (default: the last one).
    name
        The model's name on the server (default: the study's name).
    """

    def __init__(self, study: Study, step: str | None = None, name: str | None = None) -> None:
        if umbridge is None:
            raise UqscaleError(
                "uqscale serve needs the umbridge extra: pip install 'uqscale[umbridge]'"
            )
        super().__init__(name or study.name)
        self.study, self.step = served_study(study, step)
        index = [m.name for m in study.models].index(self.step.name)
        self.sizes = [
            output_size(o, f"models[{index}].outputs[{k}]") for k, o in enumerate(self.step.outputs)
        ]
        self.parameters = {k: v for m in self.study.models for k, v in m.parameters.items()}
        self._pipelines: dict[str, Pipeline] = {}
        self._lock = threading.Lock()
        self._samples = itertools.count()
        self._pipeline({}).check()  # a missing program or model fails now, not at a request

    def get_input_sizes(self, config: Mapping[str, Any] | None = None) -> list[int]:
        """One vector: the study's inputs in declared order."""
        return [len(self.study.inputs)]

    def get_output_sizes(self, config: Mapping[str, Any] | None = None) -> list[int]:
        """One vector per output of the served step."""
        return list(self.sizes)

    def supports_evaluate(self) -> bool:
        """Evaluate is served (no derivatives)."""
        return True

    def __call__(
        self, parameters: Sequence[Sequence[float]], config: Mapping[str, Any] | None = None
    ) -> list[list[float]]:
        """Evaluate one sample through the pipeline; a failure raises an HTTP error.

        Parameters
        ----------
        parameters
            ``[[x1, x2, ...]]``: the inputs in the study's order.
        config
            Values for parameters of the served steps.
        """
        pipeline = self._pipeline(dict(config or {}))
        with self._lock:
            sample = next(self._samples)
        inputs = {
            name: np.array([float(value)])
            for name, value in zip(self.study.input_names, parameters[0], strict=True)
        }
        batch = evaluate_batch(pipeline, sample, inputs)
        if batch.failures:
            failure = batch.failures[0]
            raise _http_error(
                web.HTTPInternalServerError,
                failure.error,
                f"step '{failure.step}': {failure.message}",
            )
        return [
            np.asarray(batch.outputs[o.name][0], dtype=float).ravel().tolist()
            for o in self.step.outputs
        ]

    def _pipeline(self, config: dict[str, Any]) -> Pipeline:
        unknown = sorted(set(config) - set(self.parameters))
        if unknown:
            raise _http_error(
                web.HTTPBadRequest,
                "InvalidConfig",
                f"config key '{unknown[0]}' is no parameter of the served "
                f"steps (they have: {', '.join(self.parameters) or 'none'})",
            )
        key = json.dumps(config, sort_keys=True)
        with self._lock:
            if key not in self._pipelines:
                models = tuple(
                    dataclasses.replace(
                        m, parameters={k: config.get(k, v) for k, v in m.parameters.items()}
                    )
                    for m in self.study.models
                )
                self._pipelines[key] = Pipeline.from_study(self.study.replace(models=models))
            return self._pipelines[key]


class SurrogateModel(_Model):  # type: ignore[misc]
    """A stored PCE surrogate as a :class:`umbridge.Model`: one input vector (the
    inputs in stored order), one output vector (the output, a field flattened in C
    order); no ``config``.

    Parameters
    ----------
    surrogate
        The expansion (:func:`uqscale.surrogate.load_surrogate`).
    name
        The model's name on the server (default: the output's name).
    """

    def __init__(self, surrogate: Surrogate, name: str | None = None) -> None:
        if umbridge is None:
            raise UqscaleError(
                "uqscale serve needs the umbridge extra: pip install 'uqscale[umbridge]'"
            )
        super().__init__(name or surrogate.output)
        self.surrogate = surrogate
        self.size = int(surrogate.coefficients.isel({TERM: 0}).size)

    def get_input_sizes(self, config: Mapping[str, Any] | None = None) -> list[int]:
        """One vector: the inputs in the order the run stored them."""
        return [len(self.surrogate.inputs)]

    def get_output_sizes(self, config: Mapping[str, Any] | None = None) -> list[int]:
        """One vector: the output."""
        return [self.size]

    def supports_evaluate(self) -> bool:
        """Evaluate is served (no derivatives)."""
        return True

    def __call__(
        self, parameters: Sequence[Sequence[float]], config: Mapping[str, Any] | None = None
    ) -> list[list[float]]:
        """The expansion at one point.

        Parameters
        ----------
        parameters
            ``[[x1, x2, ...]]``: the inputs in stored order.
        config
            Must be empty: a surrogate has no parameters.
        """
        if config:
            raise _http_error(web.HTTPBadRequest, "InvalidConfig", "a surrogate takes no config")
        point = {
            n: np.array([float(v)])
            for n, v in zip(self.surrogate.inputs, parameters[0], strict=True)
        }
        return [self.surrogate(**point).values.ravel().tolist()]


def _http_error(kind: type, error: str, message: str) -> Exception:
    """An aiohttp HTTP error whose body is UM-Bridge's error answer."""
    answer: Exception = kind(
        text=json.dumps({"error": {"type": error, "message": message}}),
        content_type="application/json",
    )
    return answer


def serve_models(
    models: Sequence[Any], host: str = "127.0.0.1", port: int = 4242, workers: int = 1
) -> None:
    """Serve ``models`` with :func:`umbridge.serve_models` on ``host:port`` until stopped.

    ``umbridge.serve_models`` (1.2) listens on every interface and takes no host;
    uqscale hands aiohttp's ``run_app`` the host for the duration of the call, so that
    the default is the loopback interface only.

    Parameters
    ----------
    models
        The :class:`umbridge.Model` objects.
    host
        Interface to listen on.
    port
        TCP port.
    workers
        Evaluations run at once (threads).
    """
    if umbridge is None:
        raise UqscaleError("serving needs the umbridge extra: pip install 'uqscale[umbridge]'")
    run_app = web.run_app
    web.run_app = functools.partial(run_app, host=host)
    try:
        umbridge.serve_models(list(models), port=port, max_workers=workers)
    except OSError as error:  # the port is taken, the host is not this machine's
        raise UqscaleError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    finally:
        web.run_app = run_app
