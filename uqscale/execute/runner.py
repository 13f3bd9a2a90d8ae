"""Submitting batches to Dask and handing results over as they finish."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from uqscale.models.evaluate import BatchResult, Pipeline, evaluate_batch

PROBE_SIZE = 8
TARGET_TASK_SECONDS = 0.5
TASKS_PER_WORKER = 4


def batch_size_for(seconds_per_sample: float, remaining: int, workers: int) -> int:
    """Samples per task: long enough that scheduling (about 2 ms a task) is a small
    share, short enough that every worker gets several tasks.

    Examples
    --------
    >>> batch_size_for(0.02, 1000, 2)     # 20 ms a sample: 25 samples, half a second
    25
    >>> batch_size_for(1e-6, 10**6, 2)    # cheap vectorised model: balance decides
    125000
    """
    by_time = TARGET_TASK_SECONDS / max(seconds_per_sample, 1e-9)
    by_balance = math.ceil(remaining / (workers * TASKS_PER_WORKER))
    return max(1, min(int(by_time), by_balance))


def batches(start: int, stop: int, size: int) -> Iterator[tuple[int, int]]:
    """Consecutive ``[a, b)`` ranges of at most ``size`` samples covering ``[start, stop)``."""
    for a in range(start, stop, size):
        yield a, min(a + size, stop)


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join touching ranges: ``[(0, 8), (8, 16), (20, 24)] -> [(0, 16), (20, 24)]``."""
    result: list[tuple[int, int]] = []
    for a, b in ranges:
        if result and result[-1][1] == a:
            result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
    return result


def run_batches(client, pipeline: Pipeline, names: tuple[str, ...], design: np.ndarray,
                todo: list[tuple[int, int]], on_result: Callable[[BatchResult], None],
                batch_size: int | None = None) -> None:
    """Evaluate the sample ranges ``todo`` of ``design`` and pass each batch's result
    to ``on_result`` as it arrives (in completion order).

    Parameters
    ----------
    client
        Anything with Dask's ``submit`` and ``as_completed`` semantics.
    design
        ``(n, d)`` input values, columns in the order of ``names``.
    todo
        Ranges of sample indices still to run.
    batch_size
        Samples per task; by default chosen from the time the first tasks take.
    """
    from distributed import as_completed

    workers = max(1, len(client.scheduler_info()["workers"]))
    ranges = [r for a, b in todo for r in batches(a, b, batch_size or PROBE_SIZE)]
    if batch_size is None:
        probes, rest = ranges[:workers], ranges[workers:]
    else:
        probes, rest = ranges, []

    def submit(a: int, b: int):
        inputs = {name: design[a:b, j] for j, name in enumerate(names)}
        return client.submit(evaluate_batch, pipeline, a, inputs, pure=False)

    queue = as_completed([submit(a, b) for a, b in probes])
    sized = batch_size is not None
    for future in queue:
        try:
            result = future.result()
        except BaseException:
            client.cancel(list(queue.futures))
            raise
        if not sized:
            sized = True
            remaining = sum(b - a for a, b in rest)
            size = batch_size_for(result.seconds / (result.stop - result.start),
                                  remaining, workers)
            for a0, b0 in merged(rest):
                for a, b in batches(a0, b0, size):
                    queue.add(submit(a, b))
        future.release()
        on_result(result)
