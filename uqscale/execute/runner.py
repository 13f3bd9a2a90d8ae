"""Submitting batches to Dask and handing results over as they finish.

Batches are sized as the run goes (guided self-scheduling). First one small probe
per worker thread ("slot") times the model (a vectorised model gets a second probe of
the same size, which runs while the first one's receipt travels back: never a larger
one sized blind); then each new batch takes a share of the
samples left, ``remaining / (TASKS_PER_WORKER x slots)``, between a shortest and a
longest duration: long batches first, short ones at the end, so that workers finish
together. Sizes come from the model's time and the receipt cost only, both measured
from the receipts as the run goes (:mod:`uqscale.execute.batchcost`): what a batch
costs its worker thread beyond the model (storing its part, waiting to be scheduled,
the launcher handling receipts), whose part that does not grow with the batch is kept
under :data:`OVERHEAD_SHARE` (5 %) of every batch's time. So:

- shortest batch: 19 times that cost (at least :data:`MIN_TASK_SECONDS`, and
  :data:`LAUNCHER_HEADROOM` times the launcher's processor time for one batch of each
  worker, so that one launcher keeps up with many workers);
- at the run's end, when less is left than a shortest batch for each worker, an
  even split of what is left (down to a quarter of the shortest batch,
  :data:`TAIL_SHRINK`, and :data:`MIN_TASK_SECONDS` at least), so that the workers
  finish together rather than a few of them on long batches while the others wait;
- longest batch: twice the shortest (at least :data:`TARGET_TASK_SECONDS`), capped in
  bytes (:data:`BATCH_BYTES`, 64 MiB of stored outputs, measured from the receipts):
  the guided share of the samples left, ``1 / (2 x slots)``, then gives each worker
  several batches, the longest first.

On 2 cores shared by 128 simulated workers a batch costs a tenth of a second to
seconds beyond its model (mostly waiting for a processor, as the machine's load goes),
so that batches last seconds: a study needs half a minute of model time per worker and
more to give each worker several (``benchmarks/batch_scaling.py``).

Only ``IN_FLIGHT_PER_SLOT`` batches per slot are submitted at a time, so that later
batches are sized from better measurements and for workers that joined meanwhile
(batch jobs start one by one), and the scheduler never holds the whole run.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import socket
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from uqscale.execute.batchcost import BatchCosts
from uqscale.execute.isolation import isolate, limit_worker_kills
from uqscale.models.evaluate import Pipeline, evaluate_batch, evaluate_stage
from uqscale.records import BatchResult
from uqscale.store import StoredBatch

PROBE_SIZE = 1
"""Samples of each worker's first batch, before anything is measured ..."""
PROBE_SIZE_VECTORIZED = 256
"""... and when every step is vectorised (a call's fixed cost spread over many samples),
on average: see :data:`PROBE_SPREAD`."""
PROBE_SPREAD = 0.5
"""Vectorised probes range from ``1 - PROBE_SPREAD`` to ``1 + PROBE_SPREAD`` times
:data:`PROBE_SIZE_VECTORIZED`, in the order they are submitted, so that they do not all
finish at once: a herd of parts stored at the same moment makes every one of them wait
for the processor (on 2 cores shared by 128 simulated workers, seconds for a part that
costs 20 ms alone), which the receipts would report as each batch's fixed cost and size
every later batch far too long. Their spread in bytes also separates the fixed cost
from the part that grows with the batch (:mod:`uqscale.execute.batchcost`)."""
MEASURED_SECONDS = 5e-4
"""A batch this long times the model well enough (fixed costs of a call are some 10 µs)
to size the next ones from it; until one has finished, one batch per worker at a time."""
TARGET_TASK_SECONDS = 0.5
"""Longest batch at least: long enough that scheduling (about 2 ms a task) is a small
share before any receipt cost is measured."""
MIN_TASK_SECONDS = 0.1
"""Shortest batch at least, once the model is measured (the last batches of a run)."""
OVERHEAD_SHARE = 0.05
"""What a batch costs beyond the model and whatever its size (the receipt cost,
:class:`~uqscale.execute.batchcost.BatchCosts`) is at most this share of its time:
batches last at least ``(1 - share) / share`` = 19 times that cost, the shortest ones
at the run's end included. 5 %: what it takes from the efficiency leaves the goal of 0.9
room for the run's start (the probes) and end (workers finishing apart)."""
TAIL_SHRINK = 4
"""The even split of a run's end goes down to a quarter of the shortest batch (an
overhead of 20 % for those last batches only), not lower: tiny batches would cost more
in overhead than the idle time they save."""
LONGEST_OVER_SHORTEST = 2
"""The longest batch lasts this many times the shortest (at least
:data:`TARGET_TASK_SECONDS`): the bulk of a run pays half the overhead share, and
batches stay short enough that each worker gets several and later ones are sized from
the latest measurements."""
TASKS_PER_WORKER = 2
"""A batch takes at most 1 / (TASKS_PER_WORKER x slots) of the samples left."""
IN_FLIGHT_PER_SLOT = 2
"""Batches submitted and not yet finished, per worker thread: one running, the next
one waiting on the worker (Dask sends a one-thread worker two tasks), so that no
worker waits for the launcher. More would only be sized from older measurements."""
LAUNCHER_HEADROOM = 4
"""Batches last at least this many times what the launcher spends on one batch per
worker (its processor time per batch, submitting it and handling its receipt, never
storing a batch: :meth:`Throughput.launcher_per_batch`), so that the launcher is busy
a quarter of the time at most and keeps up with many workers (each worker has a
second batch waiting meanwhile): the
launcher's share of the receipt cost, which the workers' waits show only once the
launcher is saturated."""
BATCH_BYTES = 64 * 2**20
"""Default cap of a batch's stored outputs (64 MiB, as measured from the receipts of
the first parts): what a worker holds at once, and the size of one part file."""
SLOTS_REFRESH_SECONDS = 1.0


def batch_size_for(
    seconds_per_sample: float,
    remaining: int,
    workers: int,
    launcher_seconds: float = 0.0,
    bytes_per_sample: float = 0.0,
    overhead_seconds: float = 0.0,
) -> int:
    """Samples for the next batch, when ``remaining`` samples are not yet submitted
    and ``workers`` single-threaded workers share them.

    Parameters
    ----------
    seconds_per_sample
        Model time of one sample.
    remaining
        Samples not yet submitted.
    workers
        Worker threads sharing them.
    launcher_seconds
        Processor time the launcher spends per batch (submitting it, handling its
        receipt), which must stay a small share of the time ``workers`` batches take.
    bytes_per_sample
        Stored bytes of one sample's outputs: a batch holds at most
        :data:`BATCH_BYTES` (0: unknown, no cap).
    overhead_seconds
        What a batch costs a worker thread beyond the model, whatever its size
        (:meth:`~uqscale.execute.batchcost.BatchCosts.fixed`): at most
        :data:`OVERHEAD_SHARE` of every batch's time.

    Returns
    -------
    int
        At least 1, at most ``remaining``.

    Examples
    --------
    >>> batch_size_for(0.02, 1000, 2)     # 20 ms a sample: 25 samples, half a second
    25
    >>> batch_size_for(1e-6, 10**6, 2)    # cheap vectorised model: a share of what is left
    250000
    >>> batch_size_for(0.02, 60, 2)       # near the end: shorter batches ...
    15
    >>> batch_size_for(0.02, 12, 2)       # ... of 0.1 s at least
    5
    >>> batch_size_for(0.02, 10**6, 100, launcher_seconds=0.01)   # 100 workers: 4 to 8 s
    400
    >>> batch_size_for(1e-7, 10**7, 2, bytes_per_sample=800)   # 100-point field: 64 MiB
    83886
    >>> batch_size_for(1e-3, 10**7, 128, overhead_seconds=0.1)  # 0.1 s each: 3.8 s ...
    3800
    >>> batch_size_for(1e-3, 3 * 10**5, 128, overhead_seconds=0.1)  # ... down to 1.9 s
    1900
    >>> batch_size_for(1e-3, 10**5, 128, overhead_seconds=0.1)  # the end: an even split
    782
    >>> batch_size_for(1e-3, 10**4, 128, overhead_seconds=0.1)  # ... of a quarter at least
    475
    """
    per_second = 1.0 / max(seconds_per_sample, 1e-9)
    floor = max(
        MIN_TASK_SECONDS,
        LAUNCHER_HEADROOM * launcher_seconds * max(1, workers),
        overhead_seconds * (1 - OVERHEAD_SHARE) / OVERHEAD_SHARE,
    )
    longest = max(1, int(max(TARGET_TASK_SECONDS, LONGEST_OVER_SHORTEST * floor) * per_second))
    if bytes_per_sample > 0:
        longest = max(1, min(longest, int(BATCH_BYTES / bytes_per_sample)))
    # Never more than an even split of what is left: at the run's end every worker
    # gets a last batch, rather than a few of them long ones while the others wait.
    even = math.ceil(remaining / max(1, workers))
    last = max(MIN_TASK_SECONDS, floor / TAIL_SHRINK) * per_second
    shortest = min(longest, max(1, int(last), min(even, int(floor * per_second))))
    share = math.ceil(remaining / (max(1, workers) * TASKS_PER_WORKER))
    return max(1, min(remaining, longest, max(share, shortest)))


def probe_size(vectorized: bool, order: int, probes: int) -> int:
    """Samples of the ``order``-th of ``probes`` first batches (see
    :data:`PROBE_SPREAD`): one sample, or for a vectorised model sizes spread evenly
    around :data:`PROBE_SIZE_VECTORIZED`.

    Parameters
    ----------
    vectorized
        Whether every step of the model is vectorised.
    order
        How many batches were submitted before this one.
    probes
        Batches submitted before anything is measured (one or two per slot).

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> [probe_size(True, k, 4) for k in range(4)]
    [128, 192, 256, 320]
    >>> probe_size(False, 3, 4)
    1
    """
    if not vectorized:
        return PROBE_SIZE
    share = 1 - PROBE_SPREAD + 2 * PROBE_SPREAD * order / max(1, probes)
    return max(1, round(PROBE_SIZE_VECTORIZED * share))


def merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join touching ranges: ``[(0, 8), (8, 16), (20, 24)] -> [(0, 16), (20, 24)]``."""
    result: list[tuple[int, int]] = []
    for a, b in ranges:
        if result and result[-1][1] == a:
            result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
    return result


class _Pending:
    """Sample ranges not yet submitted, handed out front to back."""

    def __init__(self, todo: Iterable[tuple[int, int]]) -> None:
        self.ranges = deque((a, b) for a, b in merged(todo) if b > a)
        self.remaining = sum(b - a for a, b in self.ranges)

    def take(self, size: int) -> tuple[int, int]:
        a, b = self.ranges[0]
        stop = min(b, a + size)
        if stop == b:
            self.ranges.popleft()
        else:
            self.ranges[0] = (stop, b)
        self.remaining -= stop - a
        return a, stop


def worker_slots(client: Any) -> int:
    """Worker threads connected now, or planned by the client's cluster (batch jobs
    still queued, an adaptive minimum), whichever is more; at least 1."""
    try:
        connected = sum(client.nthreads().values())
    except Exception:  # a scheduler that does not answer now: go on with the plan
        connected = 0
    planned = len(getattr(getattr(client, "cluster", None), "plan", None) or ())
    return max(1, int(connected), planned)


@dataclass
class Warned:
    """A task's value and the warnings its models raised meanwhile, counted by
    ``"Category: message"``: caught in the worker, so that they are stored with the
    run instead of being printed across the launcher's progress line."""

    value: Any
    warnings: Counter[str] = field(default_factory=Counter)


def _counting_warnings(function: Callable[..., Any], *args: Any) -> Warned:
    """``function(*args)`` with the warnings it raises counted, not printed; the
    last argument may be the :class:`Warned` state of a previous stage."""
    earlier: Counter[str] = Counter()
    if args and isinstance(args[-1], Warned):
        earlier, args = args[-1].warnings, (*args[:-1], args[-1].value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args)
    return Warned(value, earlier + Counter(f"{w.category.__name__}: {w.message}" for w in caught))


def _stored(
    store: Callable[[BatchResult], BatchResult] | None, function: Callable[..., Any], *args: Any
) -> Any:
    """``function(*args)``, a finished batch's result passed through ``store`` (on the
    worker: what comes back is its receipt, timed on the worker's clock)."""
    began = time.time()
    value = function(*args)
    if store is None or not isinstance(value, BatchResult):
        return value
    stored = store(value)
    if not isinstance(stored, StoredBatch):
        return stored
    slot = f"{socket.gethostname()} {os.getpid()} {threading.get_ident()}"
    return dataclasses.replace(stored, began=began, ended=time.time(), slot=slot)


def submit_batch(
    client: Any,
    pipeline: Pipeline,
    start: int,
    inputs: dict[str, np.ndarray],
    store: Callable[[BatchResult], BatchResult] | None = None,
) -> Any:
    """Submit one batch: one task, or, when steps ask for Dask worker resources, a
    chain of tasks, one per stage, each on workers that have what its steps need.

    Parameters
    ----------
    client
        The Dask client.
    pipeline
        What the batch runs.
    start
        Design index of the batch's first sample.
    inputs
        The batch's input columns.
    store
        Run on the worker on the finished batch (for example a
        :class:`~uqscale.store.PartWriter`); None: the outputs come back.

    Returns
    -------
    distributed.Future
        Of the last task: a :class:`Warned` batch result, or with ``store`` what
        ``store`` returns (a receipt).
    """
    stages = pipeline.stages
    if len(stages) == 1 and not stages[0][0]:
        return client.submit(
            _counting_warnings, _stored, store, evaluate_batch, pipeline, start, inputs, pure=False
        )
    state = (start, inputs)
    for stage, (resources, _) in enumerate(stages):
        state = client.submit(
            _counting_warnings,
            _stored,
            store,
            evaluate_stage,
            pipeline,
            stage,
            state,
            resources=resources or None,
            pure=False,
        )
    return state


@dataclass
class Throughput:
    """What the launcher spent on an ensemble: its processor time (every thread of
    the process: the Dask client's communication counts) from the first submit to
    the last receipt, less what storing lost batches took, and the wall times of
    both ends (``time.perf_counter``)."""

    batches: int = 0
    submitted_batches: int = 0
    launcher_seconds: float = 0.0
    first_submit: float | None = None
    last_receipt: float | None = None
    _cpu: float = 0.0

    def submitted(self) -> None:
        """A batch was submitted (the first one starts the clocks)."""
        if self.first_submit is None:
            self.first_submit, self._cpu = time.perf_counter(), time.process_time()
        self.submitted_batches += 1

    def received(self) -> None:
        """A batch's receipt was handled."""
        now = time.process_time()
        self.launcher_seconds += now - self._cpu
        self._cpu = now
        self.batches += 1
        self.last_receipt = time.perf_counter()

    @contextmanager
    def not_counted(self) -> Iterator[None]:
        """Leave the processor time of the ``with`` block out of the launcher's."""
        began = time.process_time()
        try:
            yield
        finally:
            self._cpu += time.process_time() - began

    def launcher_per_batch(self) -> float:
        """Launcher processor seconds per batch so far (0 before the first receipt):
        a batch costs the launcher its submission and its receipt, so the time is
        shared by half of each. Per receipt only, the submission of every batch in
        flight would be charged to the first few receipts: at 128 workers the first
        receipt came out at 223 ms instead of some 5, which set a floor of minutes
        (:data:`LAUNCHER_HEADROOM`) and gave each worker a single batch.

        Examples
        --------
        >>> throughput = Throughput(batches=1, submitted_batches=255, launcher_seconds=0.64)
        >>> throughput.launcher_per_batch()   # not 0.64
        0.005
        """
        if not self.batches:
            return 0.0
        return self.launcher_seconds / ((self.batches + self.submitted_batches) / 2)

    @property
    def busy_seconds(self) -> float:
        """Wall seconds from the first submit to the last receipt."""
        if self.first_submit is None or self.last_receipt is None:
            return 0.0
        return self.last_receipt - self.first_submit


def run_batches(
    client: Any,
    pipeline: Pipeline,
    names: tuple[str, ...],
    design: np.ndarray,
    todo: list[tuple[int, int]],
    on_result: Callable[[BatchResult, Counter[str]], None],
    batch_size: int | None = None,
    store: Callable[[BatchResult], BatchResult] | None = None,
) -> Throughput:
    """Evaluate the sample ranges ``todo`` of ``design`` and pass each batch's result
    and the warnings its models raised to ``on_result`` as it arrives (in completion
    order). An exception (from a task, ``on_result`` or Ctrl-C) cancels what is
    still submitted before it propagates.

    Parameters
    ----------
    client
        Anything with Dask's ``submit``, ``nthreads`` and ``as_completed`` semantics.
    design
        ``(n, d)`` input values, columns in the order of ``names``.
    todo
        Ranges of sample indices still to run.
    batch_size
        Samples per task; by default sized as the run goes (see the module's notes).
    store
        Run on the worker on each finished batch (a :class:`~uqscale.store.PartWriter`
        stores it in the run folder and returns its receipt, which is what
        ``on_result`` then gets); in the launcher only for a batch whose workers were
        all lost. None: ``on_result`` gets the outputs.

    Returns
    -------
    Throughput
        Batches, the launcher's processor time, first submit and last receipt.
    """
    from distributed import KilledWorker, as_completed

    # One contiguous array per input: slices of it are sent without a copy (a column
    # of the (n, d) design is strided, which makes every submit copy it).
    columns = {name: np.ascontiguousarray(design[:, j]) for j, name in enumerate(names)}
    vectorized = all(step.vectorized for _, step in pipeline.steps)
    pending = _Pending(todo)
    slots = worker_slots(client)
    probes = slots * (2 if vectorized else 1)
    checked = time.monotonic()
    ranges_of: dict[str, tuple[int, int]] = {}
    measured = {"seconds": 0.0, "samples": 0, "longest": 0.0}
    throughput = Throughput()
    stored = {"bytes": 0, "samples": 0}
    costs = BatchCosts()
    submit = functools.partial(submit_batch, store=store)

    def next_size() -> int:
        if batch_size is not None:
            return batch_size
        if not measured["samples"]:
            return probe_size(vectorized, throughput.submitted_batches, probes)
        return batch_size_for(
            max(measured["seconds"], 1e-9) / measured["samples"],
            pending.remaining,
            slots,
            throughput.launcher_per_batch(),
            stored["bytes"] / max(1, stored["samples"]),
            costs.fixed(),
        )

    def submit_more(queue: Any) -> None:
        # Until a batch long enough to time the model has finished, one batch per
        # slot (two for a vectorised model); then IN_FLIGHT_PER_SLOT per slot.
        confident = batch_size is not None or measured["longest"] >= MEASURED_SECONDS
        limit = slots * IN_FLIGHT_PER_SLOT if confident else probes
        while pending.remaining and len(ranges_of) < limit:
            a, b = pending.take(next_size())
            inputs = {name: column[a:b] for name, column in columns.items()}
            with warnings.catch_warnings():
                # The inputs travel with the task on purpose: a task that carries its
                # data can be rerun anywhere when a worker is lost.
                warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                future = submit(client, pipeline, a, inputs)
            ranges_of[future.key] = (a, b)
            queue.add(future)
            throughput.submitted()

    limit_worker_kills(client)  # h16: a crashing sample kills one worker, not four
    # the client's own loop: it need not be the default client
    queue = as_completed(loop=getattr(client, "loop", None))  # type: ignore[no-untyped-call]
    try:
        submit_more(queue)
        for future in queue:
            a, b = ranges_of.pop(future.key)
            try:
                warned = future.result()
                result, ran = warned.value, True
            except KilledWorker:
                # Crash isolation (uqscale.execute.isolation): the worker running the
                # batch died; rerun it with each Python call in a forked child, so that
                # only the samples at fault fail (ModelCrashed) and every other is kept.
                value = isolate(
                    client,
                    pipeline,
                    a,
                    {name: column[a:b] for name, column in columns.items()},
                    submit,
                )
                warned, ran = (value if isinstance(value, Warned) else Warned(value)), False
                result = warned.value
            future.release()
            if ran:  # failed samples too: their time is spent all the same
                measured["seconds"] += result.seconds
                measured["samples"] += b - a
                measured["longest"] = max(measured["longest"], result.seconds)
                if isinstance(result, StoredBatch):
                    costs.add(result)
            if isinstance(result, StoredBatch):  # before the next batch is sized: the
                stored["bytes"] += result.size  # first one after the probes is capped
                stored["samples"] += b - a  # in bytes too
            now = time.monotonic()
            if now - checked > SLOTS_REFRESH_SECONDS:
                slots, checked = worker_slots(client), now
            submit_more(queue)  # before storing: workers never wait for the disk
            if not isinstance(result, StoredBatch) and store is not None:
                # every worker it ran on was lost: a failures-only part
                with throughput.not_counted():  # sizing counts receipts only
                    result = store(result)
            on_result(result, warned.warnings)
            throughput.received()
    except BaseException:
        client.cancel(list(queue.futures))
        raise
    return throughput
