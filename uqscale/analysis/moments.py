"""Moments and quantiles of every output, from draws of the joint distribution."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.analysis.method import (
    RULES,
    Lazy,
    Method,
    Options,
    SectionSpec,
    integer,
    one_of,
    option,
    probabilities,
)

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from uqscale.space import InputSpace

DEFAULT_N = 1000


@dataclass(frozen=True)
class MomentsOptions(Options):
    """``method: moments``."""

    n: int | None = option(integer(2))
    """Samples of its own; without, it reuses the largest i.i.d. block of another
    analysis (or draws :data:`DEFAULT_N`)."""
    rule: str = option(one_of(*RULES), "sobol")
    """How its own samples are drawn (``sobol``, ``random``, ...), as in the other methods."""
    quantiles: tuple[float, ...] = option(probabilities, (0.05, 0.25, 0.5, 0.75, 0.95))
    """Probabilities whose quantiles (NumPy's linear interpolation) are reported."""


def sample(space: InputSpace, options: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` points (default 1000) by the option's ``rule``.

    Parameters
    ----------
    space
        The uncertain inputs.
    options
        The method's options.
    rng
        The design block's random stream.

    Returns
    -------
    numpy.ndarray
        The design, ``(rows, inputs)`` in the inputs' physical units.
    """
    from uqscale.sampling import unit_sample

    n = options.get("n") or DEFAULT_N
    return space.to_physical(unit_sample(options["rule"], n, space.dimension, rng))


def analyze(
    space: InputSpace,
    options: Mapping[str, Any],
    design: xr.Dataset,
    results: xr.Dataset,
    rng: np.random.Generator,
) -> dict[str, xr.Dataset]:
    """Mean, standard deviation, variance and quantiles; failed samples are dropped.

    Variables: ``mean``, ``std``, ``variance``, ``quantile`` (dim ``q``), and
    ``n_used`` and ``n_failed``.

    Parameters
    ----------
    space
        The uncertain inputs.
    options
        The method's options.
    design, results
        The block's rows of the design and of the outputs (dim ``sample``).
    rng
        The design block's random stream.

    Returns
    -------
    dict
        ``{output: Dataset}``.
    """
    import numpy as np
    import xarray as xr

    from uqscale.analysis.common import AnalysisError, output_values

    quantiles = np.asarray(options["quantiles"])
    analyses = {}
    for out in output_values(results):
        blocks = _RowBlocks(out.array)
        moments = _streamed_moments(blocks)
        if moments.count < 2:
            raise AnalysisError(f"moments: output '{out.name}' has fewer than 2 finite samples")
        std = np.sqrt(moments.m2 / (moments.count - 1))
        # The rows in memory when they fit, else two more reads of them.
        q = _exact_quantiles(moments.held or blocks, moments, quantiles)
        analyses[out.name] = xr.Dataset(
            {
                "mean": out.labelled((), moments.mean),
                "std": out.labelled((), std),
                "variance": out.labelled((), std**2),
                "quantile": out.labelled(("q",), q, {"q": quantiles}),
            },
            attrs={"n_used": moments.count, "n_failed": moments.failed},
        )
    return analyses


HISTOGRAM_BINS = 4096
"""Bins per point of the histogram pass that locates each quantile's order statistics."""
BIN_LIMIT = 2**16
"""A located bin holding more samples (a point mass) makes that point's quantiles come
from a read of its whole column instead."""
HELD_BYTES = 2**30
"""The finite rows of an output are kept in memory after the moments pass while they
take at most this much; the two quantile passes then go over them instead of reading
them again. So an analysis holds at most this, plus one block of rows
(:data:`~uqscale.analysis.common.CHUNK_BYTES`) and its bins, plus the histogram's
counts (``points x`` :data:`HISTOGRAM_BINS` integers, three arrays of them), plus the
values of the located bins (a point mass: one point's column)."""


class _RowBlocks:
    """An output as consecutive blocks of rows (samples) of about
    :data:`~uqscale.analysis.common.CHUNK_BYTES`, every point of a row together, read
    from disk one at a time (in the order the parts store them), with the mask of the
    rows whose every point is finite (failed samples are NaN)."""

    def __init__(self, array: xr.DataArray) -> None:
        from uqscale.analysis.common import CHUNK_BYTES
        from uqscale.store import PART_CHUNK_ROWS

        self.array = array
        rows = max(1, CHUNK_BYTES // max(1, array.nbytes // max(1, array.shape[0])))
        # Aligned with the parts' HDF5 chunks (a multiple or a power-of-two fraction
        # of theirs), so that a pass reads no chunk twice.
        if rows >= PART_CHUNK_ROWS:
            self.rows = rows // PART_CHUNK_ROWS * PART_CHUNK_ROWS
        else:
            self.rows = PART_CHUNK_ROWS >> math.ceil(math.log2(PART_CHUNK_ROWS / rows))

    def __iter__(self) -> Iterator[np.ndarray]:
        import numpy as np

        n = self.array.shape[0]
        for start in range(0, n, self.rows):
            block = np.asarray(self.array.isel(sample=slice(start, start + self.rows)).values)
            block = block.reshape(block.shape[0], -1)
            yield block[np.isfinite(block).all(axis=1)]


@dataclass
class _Moments:
    """Count, mean and sum of squared deviations per point, merged block by block."""

    count: int
    failed: int
    mean: np.ndarray
    m2: np.ndarray
    low: np.ndarray
    high: np.ndarray
    held: list[np.ndarray] | None
    """The finite rows, block by block, when they fit in :data:`HELD_BYTES`."""


def _streamed_moments(blocks: _RowBlocks) -> _Moments:
    """One pass: each block's mean and squared deviations (two-pass within the block),
    merged by the pairwise update of Chan, Golub and LeVeque (1983), all of it about
    the first row, so that a large mean with a small spread loses no digits. The
    blocks are kept while they fit in :data:`HELD_BYTES`."""
    import numpy as np

    count, shift, mean, m2 = 0, np.zeros(0), np.zeros(0), np.zeros(0)
    low, high = np.zeros(0), np.zeros(0)
    held: list[np.ndarray] | None = []
    for block in blocks:
        if not len(block):
            continue
        if held is not None and (count + len(block)) * block[0].nbytes > HELD_BYTES:
            held = None  # too large: the quantiles take two more passes
        if held is not None:
            held.append(block)
        if not count:
            shift, low, high = block[0], block.min(axis=0), block.max(axis=0)
            mean, m2 = np.zeros_like(shift), np.zeros_like(shift)
        size, centred = len(block), block - shift
        block_mean = centred.mean(axis=0)
        block_m2 = ((centred - block_mean) ** 2).sum(axis=0)
        delta, total = block_mean - mean, count + size
        mean = mean + delta * (size / total)
        m2 = m2 + block_m2 + delta**2 * (count * size / total)
        low, high = np.minimum(low, block.min(axis=0)), np.maximum(high, block.max(axis=0))
        count = total
    failed = int(blocks.array.shape[0]) - count
    return _Moments(count, failed, shift + mean, m2, low, high, held)


def _exact_quantiles(
    blocks: Iterable[np.ndarray], moments: _Moments, quantiles: np.ndarray
) -> np.ndarray:
    """``numpy.quantile(values, quantiles, axis=0)`` (linear interpolation) of the
    finite rows without sorting them: a histogram pass finds the bin of each needed
    order statistic, a second pass keeps the values of those bins only, sorted.

    Parameters
    ----------
    blocks
        The output's finite rows, block by block (read again at each pass, or held).
    moments
        From :func:`_streamed_moments`: the count and each point's range.
    quantiles
        Probabilities.

    Returns
    -------
    numpy.ndarray
        ``(len(quantiles), points)``.
    """
    import numpy as np

    n, points = moments.count, len(moments.mean)
    position = (n - 1) * quantiles
    below = np.floor(position).astype(np.int64)
    ranks = np.concatenate([below, np.minimum(below + 1, n - 1)])  # order statistics
    weight = position - below
    width = np.where(moments.high > moments.low, moments.high - moments.low, 1.0)
    scale = HISTOGRAM_BINS / width

    def bins_of(block: np.ndarray) -> np.ndarray:
        index = block - moments.low
        index *= scale
        np.floor(index, out=index)
        np.clip(index, 0, HISTOGRAM_BINS - 1, out=index)
        bins: np.ndarray = index.astype(np.int64)
        return bins

    counts = np.zeros((points, HISTOGRAM_BINS), dtype=np.int64)
    offsets = np.arange(points) * HISTOGRAM_BINS
    for block in blocks:
        flat = (bins_of(block) + offsets).ravel()
        counts += np.bincount(flat, minlength=points * HISTOGRAM_BINS).reshape(counts.shape)
    upto = np.cumsum(counts, axis=1)  # samples in this bin and the lower ones
    every = np.arange(points)
    # The bin of each needed order statistic: (2 x quantiles, points).
    located = np.stack([(upto <= r).sum(axis=1) for r in ranks])
    constant = moments.high == moments.low
    crowded = ~constant & (counts[every, located] > BIN_LIMIT).any(axis=0)
    wanted = np.zeros((points, HISTOGRAM_BINS), dtype=bool)
    wanted[np.broadcast_to(every, located.shape), located] = True
    wanted[constant | crowded] = False
    kept: list[list[np.ndarray]] = [[] for _ in every]
    for block in blocks:
        rows, cols = np.nonzero(wanted[every, bins_of(block)])
        for p in np.unique(cols):
            kept[p].append(block[rows[cols == p], p])
    result = np.empty((2, len(quantiles), points))
    for p in every:
        if constant[p]:
            result[..., p] = moments.low[p]
            continue
        if crowded[p]:  # a point mass: sort the whole column
            column = np.concatenate([block[:, p] for block in blocks])
            result[..., p] = np.sort(column)[ranks.reshape(2, -1)]
            continue
        # Sorted, the kept values are the wanted bins one after the other.
        values = np.sort(np.concatenate(kept[p]))
        sizes = np.where(wanted[p], counts[p], 0)
        start = np.cumsum(sizes) - sizes - (upto[p] - counts[p])  # of rank 0 in each bin
        result[..., p] = values[start[located[:, p]] + ranks].reshape(2, -1)
    low, high = result
    # NumPy's linear interpolation between the two order statistics, done by NumPy.
    pairs = [np.quantile(np.stack([low[i], high[i]]), g, axis=0) for i, g in enumerate(weight)]
    return np.stack(pairs)


def _footprint(options: Options, inputs: int) -> tuple[int, int, str]:
    from uqscale.study.budget import design_bytes

    rows = options["n"] or DEFAULT_N
    return rows, design_bytes(rows, inputs), "n"


METHOD = Method(
    name="moments",
    options=MomentsOptions,
    sampling=("n", "rule"),
    sample=sample,
    analyze=analyze,
    reuses=lambda options: not options["n"],
    dependent_inputs=True,
    footprint=_footprint,
    takes_any_iid=lambda options: True,
    sections=(
        SectionSpec(
            10, "moments", "Moments and quantiles", Lazy("uqscale.report.moments:moments_section")
        ),
    ),
)
"""Its rows are not lent to other analyses (only draws of the other methods are)."""
