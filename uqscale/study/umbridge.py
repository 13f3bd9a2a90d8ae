"""The ``umbridge:`` key of a model step: a model served over the UM-Bridge protocol.

Only the study's side lives here (the file form and its checks); talking to the
server is :mod:`uqscale.models.umbridge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    from uqscale.study.model import ModelStep

UMBRIDGE_KEYS = ("url", "name", "concurrency", "connect_retries")
DEFAULT_CONCURRENCY = 8
DEFAULT_CONNECT_RETRIES = 3
NOT_FOR_UMBRIDGE: dict[str, Any] = {
    "python": None,
    "command": None,
    "vectorized": False,
    "files": {},
    "results": None,
    "parser": None,
    "workdirs": "keep_failed",
}


@dataclass(frozen=True)
class UmbridgeModel:
    """Where a UM-Bridge model is served and how a worker talks to it.

    Parameters
    ----------
    url
        The server, e.g. ``"http://localhost:4242"`` (``http`` or ``https``).
    name
        The model's name on that server (one of ``GET /Info``'s ``models``).
    concurrency
        Evaluations each worker keeps in flight at once (one thread each).
    connect_retries
        Further attempts after a refused or dropped connection, waiting 0.5 s, 1 s,
        2 s, ... in between; other failures (an HTTP error, a timeout) are not retried
        here (``execution.retries`` retries any failed sample).

    Examples
    --------
    >>> UmbridgeModel("http://localhost:4242", "forward").to_dict()
    {'url': 'http://localhost:4242', 'name': 'forward'}
    """

    url: str
    name: str
    concurrency: int = DEFAULT_CONCURRENCY
    connect_retries: int = DEFAULT_CONNECT_RETRIES

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``umbridge`` mapping of a step), without defaults."""
        entry: dict[str, Any] = {"url": self.url, "name": self.name}
        if self.concurrency != DEFAULT_CONCURRENCY:
            entry["concurrency"] = self.concurrency
        if self.connect_retries != DEFAULT_CONNECT_RETRIES:
            entry["connect_retries"] = self.connect_retries
        return entry


def read_umbridge(value: Any, path: str) -> UmbridgeModel:
    """The ``umbridge`` mapping at ``path`` of a study file as an :class:`UmbridgeModel`.

    Parameters
    ----------
    value
        The mapping as the YAML reader gives it.
    path
        Its field path, e.g. ``models[0].umbridge``, for errors.

    Returns
    -------
    UmbridgeModel
        The server's address and settings.
    """
    entry = fields.mapping(value, path)
    fields.check_keys(entry, path, UMBRIDGE_KEYS, required=("url", "name"))
    return UmbridgeModel(**entry)


def check_umbridge_step(step: ModelStep, path: str) -> None:
    """Raise :class:`StudyError` for the first wrong field of an ``umbridge`` step.

    Parameters
    ----------
    step
        A step whose ``umbridge`` is set.
    path
        The step's path in the study, e.g. ``"models[0]"``.
    """
    model = step.umbridge
    where = f"{path}.umbridge"
    if not isinstance(model, UmbridgeModel):
        raise StudyError(where, "must be an UmbridgeModel(url, name)")
    url = fields.string(model.url, f"{where}.url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StudyError(
            f"{where}.url",
            f"must be an http:// or https:// address with a "
            f"host, e.g. http://localhost:4242 (got '{url}')",
        )
    fields.string(model.name, f"{where}.name")
    fields.integer(model.concurrency, f"{where}.concurrency", minimum=1)
    fields.integer(model.connect_retries, f"{where}.connect_retries", minimum=0)
    for key, default in NOT_FOR_UMBRIDGE.items():
        if getattr(step, key) != default:
            raise StudyError(
                f"{path}.{key}",
                "does not apply to an umbridge step (the server runs the model); remove it",
            )
    if step.timeout is not None and fields.number(step.timeout, f"{path}.timeout") <= 0:
        raise StudyError(f"{path}.timeout", f"must be positive (got {step.timeout:g})")
