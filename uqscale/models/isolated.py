"""Calling a Python model in a child process that is killed if it overruns.

A thread cannot be stopped from outside, and a model stuck in compiled code does not
see signals, so a Python step with a ``timeout`` runs each call in a forked child
(cheap: copy-on-write, no re-import) and its result comes back through a pipe.
Dask workers are daemonic processes, which rules out ``multiprocessing``; a plain
``os.fork`` works in them.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from uqscale.models.command import SampleFailedError

TRACEBACK_LINES = 12


def call_in_child(
    function: Callable[..., Any], kwargs: Mapping[str, Any], timeout: float | None
) -> Any:
    """Return ``function(**kwargs)`` computed in a child process (waiting for it at
    most ``timeout`` seconds; for ever when None).

    Parameters
    ----------
    function
        The model's callable (it must be importable in the child: the child is forked).
    kwargs
        Its keyword arguments.
    timeout
        Seconds to wait for the answer, or None for no limit.

    Returns
    -------
    Any
        What ``function(**kwargs)`` returned in the child.

    Raises
    ------
    SampleFailedError
        ``Timeout`` when the call takes longer than ``timeout`` seconds (the child is
        killed), ``ModelCrashed`` when the child dies without answering (a segfault,
        the out-of-memory killer), or the model's own exception type, with its
        message and traceback tail, when the model raises.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, answer, leave without running any cleanup
        os.close(read_end)
        try:
            answer: tuple[Any, ...] = ("ok", function(**kwargs))
        except BaseException as error:
            tail = traceback.format_exc().rstrip().splitlines()[-TRACEBACK_LINES:]
            answer = ("error", type(error).__name__, str(error), "\n".join(tail))
        try:
            data = pickle.dumps(answer)
        except Exception as error:
            data = pickle.dumps(("error", "UnpicklableResult", str(error), ""))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        os._exit(0)
    os.close(write_end)
    try:
        answered = _read_until(read_end, None if timeout is None else time.monotonic() + timeout)
    finally:
        os.close(read_end)
    if answered is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise SampleFailedError(
            "Timeout", f"the model ran longer than {timeout:g} s; its process was killed"
        )
    _, status = os.waitpid(pid, 0)
    if not answered:
        raise SampleFailedError(
            "ModelCrashed",
            f"the model's process died ({_describe_status(status)}) without a result",
        )
    answer = pickle.loads(answered)
    if answer[0] == "ok":
        return answer[1]
    raise SampleFailedError(answer[1], answer[2], answer[3])


def _read_until(fd: int, deadline: float | None) -> bytes | None:
    """Everything written to ``fd`` until its writer closes it, or None at the deadline
    (None: no deadline)."""
    chunks: list[bytes] = []
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and (left <= 0 or not select.select([fd], [], [], left)[0]):
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.WEXITSTATUS(status)}"
