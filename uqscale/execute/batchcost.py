"""What a batch costs beyond its model, measured from the receipts as a run goes.

A batch's receipt (:class:`~uqscale.store.StoredBatch`) says when its task began and
when its part was stored, on the worker's clock, and which worker thread ran it. What
the batch cost its worker thread beyond the model is then

    (stored - began - model seconds)          storing it (building, hashing, writing)
    + (began - the thread's previous stored)  waiting for it: scheduling, the launcher
                                              handling receipts, its inputs travelling

both on one clock (one thread of one host), so that workers on other hosts need no
synchronised clocks. On a machine shared by many worker threads the waits grow with the
load (threads waiting for the processor, the GIL, the scheduler), which is what the
sizing must keep small: it is measured, not modelled.

Part of that cost grows with the batch (writing and hashing its bytes); sizing only
acts on the part that does not, so :meth:`BatchCosts.fixed` takes the fixed part from
a least-squares line through the recent costs against the batches' bytes. Were the
whole cost used, a larger batch would cost more and size the next ones larger still.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from uqscale.store import StoredBatch

COST_WINDOW = 128
"""Receipts the cost is estimated from: the latest ones, so that the estimate follows
the load as it changes (workers joining, the run's end)."""
SPREAD_FOR_SLOPE = 0.1
"""The bytes of the receipts in the window must spread by this share of their mean
(a coefficient of variation) to separate the fixed cost from the part that grows with
the batch; below it, all of the mean cost counts as fixed."""


@dataclass
class BatchCosts:
    """The recent receipts' costs beyond the model (see the module's notes)."""

    window: int = COST_WINDOW
    _stored_at: dict[str, float] = field(default_factory=dict)
    _costs: deque[tuple[float, float]] = field(default_factory=deque)

    def add(self, receipt: StoredBatch) -> None:
        """Count a receipt (one without timings, from an older worker or a batch
        stored by the launcher, is left out)."""
        if not receipt.slot or receipt.ended <= 0.0:
            return
        cost = max(0.0, receipt.ended - receipt.began - receipt.seconds)
        previous = self._stored_at.get(receipt.slot)
        if previous is not None and receipt.began >= previous:
            cost += receipt.began - previous
        self._stored_at[receipt.slot] = receipt.ended
        self._costs.append((float(receipt.size), cost))
        while len(self._costs) > self.window:
            self._costs.popleft()

    def fixed(self) -> float:
        """Seconds a batch costs beyond the model whatever its size (0 before any
        timed receipt).

        Examples
        --------
        >>> costs = BatchCosts()
        >>> for i, size in enumerate((100, 200, 300)):  # 10 ms + 0.1 ms per byte
        ...     costs.add(StoredBatch(0, 1, {}, receipt=f"{size} x", began=i,
        ...                           ended=i + 0.5 + 0.01 + 1e-4 * size, seconds=0.5,
        ...                           slot=f"thread {i}"))
        >>> round(costs.fixed(), 6)
        0.01
        """
        if not self._costs:
            return 0.0
        sizes, costs = np.array(self._costs).T
        mean_size, mean_cost = float(sizes.mean()), float(costs.mean())
        if sizes.std() <= SPREAD_FOR_SLOPE * mean_size:
            return mean_cost
        slope = max(0.0, float(np.cov(sizes, costs, bias=True)[0, 1] / sizes.var()))
        return max(0.0, mean_cost - slope * mean_size)
