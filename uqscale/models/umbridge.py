"""UM-Bridge models as model steps: the client side of the protocol.

A step with ``umbridge: {url, name}`` sends each sample to ``POST URL/Evaluate`` as
``{"name", "input", "config"}`` and reads ``{"output"}`` back (UM-Bridge protocol 1.0).

* **Inputs**: the step's inputs, in order, are concatenated and cut into the model's
  input vectors by ``/InputSizes`` (``[1, 1, 1]`` or ``[3]`` for three inputs alike).
* **Outputs**: output vector k is the step's output k: one number for a scalar, the
  whole vector for a field (reshaped to the lengths of its coords).
* **config**: the step's parameters, the swept one of a ``resolution:`` study
  included, so that a sweep sets a model's fidelity or grid level. Whole numbers
  travel as JSON integers.

Each worker keeps ``concurrency`` evaluations in flight (a thread and an HTTP
connection each). A refused or dropped connection is retried ``connect_retries``
times with exponential backoff (0.5 s, 1 s, 2 s, ...); that failing too, an HTTP
error, the model's error answer, or no answer within the step's ``timeout`` fails
that sample only (recorded as ``UmbridgeConnectionError``, ``UmbridgeHTTPError``,
``UmbridgeModelError``, ``UmbridgeTimeout``). A model that breaks the study's
contract (a different number of output vectors) raises :class:`StudyError`.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.models.command import SampleFailedError
from uqscale.study.model import ModelStep

if TYPE_CHECKING:
    import requests

PROTOCOL_VERSION = 1.0
BACKOFF_SECONDS = 0.5
CHECK_TIMEOUT_SECONDS = 10.0
MESSAGE_CHARS = 500
# umbridge's Python server writes non-finite numbers as Python prints them.
PYTHON_NONFINITE = re.compile(r"(?<![\w\"])(nan|inf)(?![\w\"])")


def _requests() -> ModuleType:
    """The ``requests`` module, or a StudyError saying how to install it."""
    try:
        import requests
    except ImportError:
        raise StudyError(
            "umbridge", "needs the umbridge extra: pip install 'uqscale[umbridge]'"
        ) from None
    return requests


def plain_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as JSON-ready config: whole floats as integers (a grid level of
    ``3.0`` from the design travels as ``3``)."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}


def read_answer(text: str) -> Any:
    """The JSON body of an answer, reading ``nan`` and ``inf`` as umbridge's Python
    server writes them (not JSON, but the sample must fail as non-finite, not as a
    malformed answer).

    Examples
    --------
    >>> read_answer('{"output": [[1.5, nan], [-inf]] }')
    {'output': [[1.5, nan], [-inf]]}
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(
            PYTHON_NONFINITE.sub(lambda m: "NaN" if m.group(1) == "nan" else "Infinity", text)
        )


class UmbridgeClient:
    """Step ``models[index]`` evaluated by a UM-Bridge server.

    Called as ``client(sample, arguments)`` like any per-sample model, and
    ``client.map(evaluate, rows)`` runs ``evaluate`` on ``concurrency`` rows at once.

    Parameters
    ----------
    step
        The step (``umbridge`` set); its inputs as the pipeline feeds them.
    index
        Its position in ``models``, for error paths.
    swept
        The parameter of a resolution sweep, which the pipeline feeds like an input:
        it travels in the config.
    """

    def __init__(self, step: ModelStep, index: int, swept: str | None = None) -> None:
        self.step = step
        self.index = index
        self.swept = swept
        assert step.umbridge is not None  # built only for a step with an umbridge block
        self.server = step.umbridge
        self._local = threading.local()
        self._sessions: list[Any] = []
        self._lock = threading.Lock()
        self._input_sizes: list[int] | None = None

    def map(self, evaluate: Callable[[int], Any], rows: Iterable[int]) -> list[Any]:
        """``evaluate(row)`` for every row, ``concurrency`` of them in flight, in order.

        The client's connections are closed when all are done.

        Parameters
        ----------
        evaluate
            The evaluation of one row of the batch (one request to the server).
        rows
            The rows to evaluate.

        Returns
        -------
        list[Any]
            What ``evaluate`` returned for each row, in the order of ``rows``.
        """
        rows = list(rows)
        try:
            with ThreadPoolExecutor(
                max_workers=max(1, min(self.server.concurrency, len(rows)))
            ) as pool:
                return list(pool.map(evaluate, rows))
        finally:
            self.close()

    def close(self) -> None:
        """Close every HTTP connection this client opened."""
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def __call__(self, sample: int, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs of one sample by name.

        Parameters
        ----------
        sample
            The sample's index in the design (unused by the protocol).
        arguments
            The step's inputs (and a swept parameter) for this sample, as floats.

        Raises
        ------
        SampleFailedError
            For a connection that fails after its retries, an HTTP error, the model's
            error answer or a timeout.
        """
        config = plain_config(
            {**self.step.parameters, **{k: v for k, v in arguments.items() if k == self.swept}}
        )
        values = [float(v) for k, v in arguments.items() if k != self.swept]
        sizes = self.input_sizes()
        if sum(sizes) != len(values):
            raise inputs_mismatch(self.step, self.index, sizes, len(values))
        vectors = [
            values[a:b] for a, b in itertools.pairwise(itertools.accumulate(sizes, initial=0))
        ]
        answer = self.post("Evaluate", {"input": vectors, "config": config}, self.step.timeout)
        return self._outputs(answer)

    def input_sizes(self) -> list[int]:
        """``/InputSizes`` with the step's fixed parameters as config, asked once."""
        if self._input_sizes is None:
            answer = self.post(
                "InputSizes", {"config": plain_config(self.step.parameters)}, self.step.timeout
            )
            self._input_sizes = [int(s) for s in answer["inputSizes"]]
        return self._input_sizes

    def post(self, route: str, body: Mapping[str, Any], timeout: float | None) -> Any:
        """``POST URL/route`` with the model's name added; the decoded answer.

        Parameters
        ----------
        route
            ``"Evaluate"``, ``"InputSizes"``, ...
        body
            The request without ``name``.
        timeout
            Seconds to wait for the answer (no limit if None).

        Returns
        -------
        Any
            The server's JSON answer, decoded.
        """
        requests = _requests()
        url = f"{self.server.url.rstrip('/')}/{route}"
        for attempt in range(self.server.connect_retries + 1):
            try:
                response = self._session().post(
                    url, json={"name": self.server.name, **body}, timeout=timeout
                )
                break
            except requests.ConnectionError as error:
                if attempt == self.server.connect_retries:
                    raise SampleFailedError(
                        "UmbridgeConnectionError",
                        f"{url}: no connection after {attempt + 1} attempts ({_short(error)})",
                    ) from None
                time.sleep(BACKOFF_SECONDS * 2**attempt)
            except requests.Timeout:
                raise SampleFailedError(
                    "UmbridgeTimeout", f"{url}: no answer within {timeout:g} s"
                ) from None
            except requests.RequestException as error:
                raise SampleFailedError(
                    "UmbridgeConnectionError", f"{url}: {_short(error)}"
                ) from None
        return self._answer(url, response)

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _requests().Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def _answer(self, url: str, response: requests.Response) -> Any:
        try:
            answer = read_answer(response.text)
        except json.JSONDecodeError:
            answer = None
        error = answer.get("error") if isinstance(answer, dict) else None
        if response.status_code >= 400:
            what = (
                f"{error.get('type')}: {error.get('message')}"
                if isinstance(error, dict)
                else response.text.strip()
            )
            raise SampleFailedError(
                "UmbridgeHTTPError", f"{url}: HTTP {response.status_code} {_short(what)}"
            )
        if isinstance(error, dict):
            raise SampleFailedError(
                "UmbridgeModelError", f"{url}: {error.get('type')}: {_short(error.get('message'))}"
            )
        if not isinstance(answer, dict):
            raise SampleFailedError(
                "MalformedOutput",
                f"{url}: the answer is not a JSON object: {_short(response.text)}",
            )
        return answer

    def _outputs(self, answer: Mapping[str, Any]) -> dict[str, Any]:
        vectors = answer.get("output")
        step, path = self.step, f"models[{self.index}].outputs"
        if not isinstance(vectors, list) or len(vectors) != len(step.outputs):
            got = len(vectors) if isinstance(vectors, list) else type(vectors).__name__
            raise StudyError(
                path,
                f"step '{step.name}': model '{self.server.name}' returned "
                f"{got} output vectors; the step declares "
                f"{len(step.outputs)} outputs",
            )
        outputs: dict[str, Any] = {}
        for spec, vector in zip(step.outputs, vectors, strict=True):
            array = np.asarray(vector, dtype=float)
            if not spec.dims:
                if array.size != 1:
                    raise StudyError(
                        path,
                        f"step '{step.name}': output '{spec.name}' is a "
                        f"scalar but its vector holds {array.size} numbers;"
                        f" declare dims for a field",
                    )
                outputs[spec.name] = float(array.reshape(()))
            elif all(dim in spec.coords for dim in spec.dims):
                shape = tuple(len(spec.coords[dim]) for dim in spec.dims)
                outputs[spec.name] = (
                    array.reshape(shape) if array.size == math.prod(shape) else array
                )
            else:
                outputs[spec.name] = array
        return outputs


def check_server(step: ModelStep, index: int, swept: str | None = None) -> None:
    """Check ``models[index]`` against its server, if the server answers.

    The model must be served and evaluable, take as many numbers as the step has
    inputs and give one vector per output (one number for a scalar). A server that
    does not answer is no error at validation (it may start later): a warning line
    goes to stderr.

    Parameters
    ----------
    step
        An umbridge step, as in the study.
    index
        Its position in ``models``.
    swept
        A resolution sweep's parameter (config, not a model input).

    Raises
    ------
    StudyError
        One line naming the step, for a mismatch.
    """
    requests = _requests()
    assert step.umbridge is not None  # called only for a step with an umbridge block
    server, where = step.umbridge, f"models[{index}].umbridge"
    base = server.url.rstrip("/")
    try:
        info = requests.get(f"{base}/Info", timeout=CHECK_TIMEOUT_SECONDS).json()
    except (requests.RequestException, ValueError) as error:
        print(
            f"warning: {where}: step '{step.name}': the UM-Bridge server at {server.url} "
            f"does not answer ({_short(error)}); its model is not checked",
            file=sys.stderr,
        )
        return
    if info.get("protocolVersion") != PROTOCOL_VERSION:
        raise StudyError(
            f"{where}.url",
            f"step '{step.name}': {server.url} speaks UM-Bridge "
            f"protocol {info.get('protocolVersion')}, not 1.0",
        )
    if server.name not in info.get("models", []):
        raise StudyError(
            f"{where}.name",
            f"step '{step.name}': {server.url} serves no model "
            f"'{server.name}' (it serves: "
            f"{', '.join(info.get('models', [])) or 'none'})",
        )
    client = UmbridgeClient(step, index)
    try:
        support = client.post("ModelInfo", {}, CHECK_TIMEOUT_SECONDS).get("support", {})
        config = {"config": plain_config(step.parameters)}
        inputs = client.post("InputSizes", config, CHECK_TIMEOUT_SECONDS)["inputSizes"]
        outputs = client.post("OutputSizes", config, CHECK_TIMEOUT_SECONDS)["outputSizes"]
    except (SampleFailedError, KeyError) as error:
        raise StudyError(
            where,
            f"step '{step.name}': {server.url} does not describe model "
            f"'{server.name}' ({_short(error)})",
        ) from None
    finally:
        client.close()
    _check_sizes(
        step, index, support, inputs, outputs, [name for name in step.inputs if name != swept]
    )


def _check_sizes(
    step: ModelStep,
    index: int,
    support: Mapping[str, Any],
    inputs: list[int],
    outputs: list[int],
    names: list[str],
) -> None:
    assert step.umbridge is not None  # called only for a step with an umbridge block
    path, name = f"models[{index}]", step.umbridge.name
    if not support.get("Evaluate", False):
        raise StudyError(
            f"{path}.umbridge.name", f"step '{step.name}': model '{name}' does not support Evaluate"
        )
    if sum(inputs) != len(names):
        raise inputs_mismatch(step, index, inputs, len(names))
    if len(outputs) != len(step.outputs):
        raise StudyError(
            f"{path}.outputs",
            f"step '{step.name}' declares {len(step.outputs)} "
            f"outputs but model '{name}' gives "
            f"{len(outputs)} output vectors (sizes {outputs})",
        )
    for k, (spec, size) in enumerate(zip(step.outputs, outputs, strict=True)):
        if not spec.dims and size != 1:
            raise StudyError(
                f"{path}.outputs[{k}]",
                f"step '{step.name}': output "
                f"'{spec.name}' is a scalar but model "
                f"'{name}' gives a vector of {size}",
            )


def inputs_mismatch(step: ModelStep, index: int, sizes: list[int], count: int) -> StudyError:
    """The error for a step whose ``count`` inputs do not fill input vectors ``sizes``.

    Parameters
    ----------
    step
        An umbridge step, as in the study.
    index
        Its position in ``models``.
    sizes
        The sizes of the server's input vectors.
    count
        How many inputs the step declares.

    Returns
    -------
    StudyError
        One line naming ``models[index].inputs``.
    """
    assert step.umbridge is not None  # called only for a step with an umbridge block
    return StudyError(
        f"models[{index}].inputs",
        f"step '{step.name}' has {count} inputs but model "
        f"'{step.umbridge.name}' takes {sum(sizes)} numbers (input sizes {sizes})",
    )


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + " ..."
