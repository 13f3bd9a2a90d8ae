"""Small studies without a cluster: the ensemble in one forked child of the launcher.

Starting and stopping the embedded LocalCluster costs one to two seconds, more than
the whole ensemble of a small study. So the embedded default first runs a probe batch
in a child process forked from the launcher (copy-on-write: nothing is imported
again); when the probe puts the model time of every sample left under
:data:`IN_PROCESS_SECONDS`, the child goes on with the rest, batch after batch, else
it stops and the cluster takes what is left. The child stores each batch itself (a
:class:`~uqscale.store.PartWriter`) and sends its receipt through a pipe, so the
launcher handles runs in-process and on the cluster alike (progress, fail-fast,
warnings); the samples' values are computed by the same code, and are the same bit
for bit.

A model that kills its process (a segfault, the out-of-memory killer) kills only the
child: what it stored is kept and the samples it had not reported go to the cluster,
whose crash isolation (:mod:`uqscale.execute.isolation`) finds the culprit.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import signal
import struct
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

import numpy as np

from uqscale.execute.runner import (
    PROBE_SIZE,
    PROBE_SIZE_VECTORIZED,
    Warned,
    _counting_warnings,
    _Pending,
    _stored,
    batch_size_for,
    merged,
)
from uqscale.models.evaluate import Pipeline, evaluate_batch
from uqscale.records import BatchResult
from uqscale.store import StoredBatch

PROBE_GROWTH = 16
"""Probes after the first one, in the launcher's own child, are this many times larger
(one after the other: each is timed before the next is sized)."""

IN_PROCESS_SECONDS = 2.0
"""Model time of the samples left, estimated from the probe, under which the embedded
default runs them in-process (about what starting and stopping a LocalCluster costs,
so that a cluster could not finish sooner on two workers)."""
PROBE_SECONDS = 0.01
"""The probe takes batches (growing, for a vectorised model) until this much model
time has passed ..."""
PROBE_SAMPLES = 64
"""... or this many samples have run."""
_HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class _Done:
    """The child's last message: it ran everything (``left`` False) or stopped after
    the probe because the rest is too long for one process (``left`` True)."""

    left: bool
    estimate: float


def run_in_process(
    pipeline: Pipeline,
    names: tuple[str, ...],
    design: np.ndarray,
    todo: list[tuple[int, int]],
    on_result: Callable[[BatchResult, Counter[str]], None],
    store: Callable[[BatchResult], BatchResult],
    batch_size: int | None = None,
) -> list[tuple[int, int]]:
    """Run the ranges ``todo`` in a forked child when the probe says they are small,
    passing each stored batch's receipt and warnings to ``on_result`` as it arrives.

    Parameters
    ----------
    pipeline
        What every batch runs.
    names
        The design's columns, in order.
    design
        ``(n, d)`` input values.
    todo
        Ranges of sample indices to run.
    on_result
        Called in the launcher with each batch's receipt and warnings; an exception
        from it (fail-fast) stops the child and propagates.
    store
        Stores a batch (in the child) and returns its receipt.
    batch_size
        Samples per batch; default: sized from the probe.

    Returns
    -------
    list of tuple
        The ranges still to run: none when the child ran everything; the rest when
        the probe found them too long, or when the child died.
    """
    left = np.zeros(design.shape[0], dtype=bool)
    for a, b in todo:
        left[a:b] = True
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the launcher's cleanup
        os.close(read_end)
        _child(
            functools.partial(_evaluate_all, pipeline, names, design, todo, store, batch_size),
            write_end,
        )
    os.close(write_end)
    finished = False
    try:
        with os.fdopen(read_end, "rb") as pipe:
            for message in _messages(pipe):
                if isinstance(message, BaseException):
                    raise message
                if isinstance(message, _Done):
                    finished = not message.left
                    break
                result, warned = cast(tuple[BatchResult, Counter[str]], message)
                left[result.start : result.stop] = False
                on_result(result, warned)
    finally:
        if not finished:
            _kill(pid)
        os.waitpid(pid, 0)
    if finished:
        return []
    edges = np.flatnonzero(np.diff(np.r_[0, left.astype(np.int8), 0]))
    return merged((int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True))


def _child(work: Callable[[BinaryIO], _Done], fd: int) -> None:
    """The child's whole life: ``work`` (probe, decide, run, report), then leave with
    ``os._exit`` (none of the launcher's cleanup)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it; the launcher reports
    try:
        with os.fdopen(fd, "wb") as pipe:
            try:
                _send(pipe, work(pipe))
            except Exception as error:  # the launcher raises it
                _send(pipe, _picklable(error))
    finally:
        os._exit(0)


def _evaluate_all(
    pipeline: Pipeline,
    names: tuple[str, ...],
    design: np.ndarray,
    todo: list[tuple[int, int]],
    store: Callable[[BatchResult], BatchResult],
    batch_size: int | None,
    pipe: BinaryIO,
) -> _Done:
    """Run the probe, then (when small enough) every other range, sending receipts."""
    vectorized = all(step.vectorized for _, step in pipeline.steps)
    columns = {name: np.ascontiguousarray(design[:, j]) for j, name in enumerate(names)}
    pending = _Pending(todo)
    probe = PROBE_SIZE_VECTORIZED if vectorized else PROBE_SIZE
    seconds, samples, stored_bytes, probing = 0.0, 0, 0, True
    while pending.remaining:
        if probing and (seconds >= PROBE_SECONDS or samples >= PROBE_SAMPLES):
            probing = False
            estimate = seconds / samples * pending.remaining
            if estimate > IN_PROCESS_SECONDS:
                return _Done(True, estimate)
        if batch_size is not None:
            size = batch_size
        elif probing:
            size = probe * PROBE_GROWTH if samples else probe
        else:
            size = batch_size_for(
                seconds / samples, pending.remaining, 1, 0.0, stored_bytes / samples
            )
        a, b = pending.take(size)
        inputs = {name: column[a:b] for name, column in columns.items()}
        warned: Warned = _counting_warnings(_stored, store, evaluate_batch, pipeline, a, inputs)
        result = warned.value
        seconds, samples = seconds + result.seconds, samples + b - a
        stored_bytes += result.size if isinstance(result, StoredBatch) else 0
        _send(pipe, (result, warned.warnings))
    return _Done(False, seconds)


def _send(pipe: BinaryIO, message: object) -> None:
    data = pickle.dumps(message)
    pipe.write(_HEADER.pack(len(data)) + data)
    pipe.flush()


def _messages(pipe: BinaryIO) -> Iterator[object]:
    """Messages from the child until it closes the pipe (or dies)."""
    while header := pipe.read(_HEADER.size):
        if len(header) < _HEADER.size:
            return
        (length,) = _HEADER.unpack(header)
        data = pipe.read(length)
        if len(data) < length:
            return
        yield pickle.loads(data)


def _picklable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
