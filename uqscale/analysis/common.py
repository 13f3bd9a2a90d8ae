"""What every analysis shares: flattening field outputs and labelling the results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from uqscale.errors import UqscaleError

if TYPE_CHECKING:
    from uqscale.space import InputSpace


class AnalysisError(UqscaleError):
    """An analysis that cannot be computed from the samples at hand."""


class PartialAnalysisError(AnalysisError):
    """An analysis computed for some outputs only: ``found`` holds their results, the
    message says why the others are missing."""

    def __init__(self, message: str, found: dict[str, xr.Dataset]) -> None:
        super().__init__(message)
        self.found = found


def per_output(
    method: str, estimates: Iterator[tuple[str, xr.Dataset | str]]
) -> dict[str, xr.Dataset]:
    """Collect an estimator's results output by output (one that cannot be estimated
    never hides the others).

    Parameters
    ----------
    method
        The method's name, leading the messages.
    estimates
        ``(output, dataset)``, or ``(output, message)`` for an output it could not
        estimate.

    Returns
    -------
    dict
        ``{output: Dataset}`` when every output was estimated.

    Raises
    ------
    PartialAnalysisError
        When some outputs could not be estimated (with the others' results).
    AnalysisError
        When none could.
    """
    found: dict[str, xr.Dataset] = {}
    missing: list[str] = []
    for output, result in estimates:
        if isinstance(result, str):
            missing.append(result)
        else:
            found[output] = result
    if missing and found:
        raise PartialAnalysisError(
            f"{method}: " + "; ".join(missing) + " (the other outputs are estimated)", found
        )
    if missing:
        raise AnalysisError(f"{method}: " + "; ".join(missing))
    return found


CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True)
class OutputValues:
    """One output's samples as a matrix ``(n, points)`` (field dims flattened), read
    from disk when first needed, whole or in chunks of points."""

    name: str
    array: xr.DataArray
    """The output over ``sample`` and its field dims, possibly not yet loaded."""

    @cached_property
    def values(self) -> np.ndarray:
        """All samples and points, ``(n, points)``."""
        return self.array.values.reshape(self.array.shape[0], -1)

    @property
    def template(self) -> xr.DataArray:
        """One sample's field: its dims and coordinates."""
        return self.array.isel(sample=0, drop=True)

    def chunks(self) -> Iterator[np.ndarray]:
        """The matrix in consecutive blocks of columns of about 64 MB, read one at a
        time (along the first field dim), for statistics of very large outputs."""
        if self.array.ndim == 1 or "values" in self.__dict__:
            yield self.values
            return
        first = self.array.dims[1]
        row_bytes = self.array.nbytes // self.array.sizes[first]
        step = max(1, CHUNK_BYTES // max(row_bytes, 1))
        for start in range(0, self.array.sizes[first], step):
            block = self.array.isel({first: slice(start, start + step)}).values
            yield block.reshape(block.shape[0], -1)

    def finite_rows(self) -> np.ndarray:
        """Boolean mask of samples whose every point is finite (failed ones are NaN)."""
        ok = np.ones(self.array.shape[0], dtype=bool)
        for block in self.chunks():
            ok &= np.isfinite(block).all(axis=1)
        return ok

    def labelled(
        self, dims: tuple[str, ...], array: np.ndarray, coords: Mapping[str, object] | None = None
    ) -> xr.DataArray:
        """Label ``array`` of shape ``(*leading, points)``.

        Parameters
        ----------
        dims
            Names of the leading axes.
        array
            The values; the last axis becomes the output's field dimensions.
        coords
            Coordinates of the leading dims (others are ignored).

        Returns
        -------
        xarray.DataArray
            Over ``dims`` and the output's field dims, with their coordinates.
        """
        field = self.template
        shaped = array.reshape(array.shape[:-1] + field.shape)
        all_coords = {d: field.coords[d] for d in field.dims if d in field.coords}
        all_coords.update({d: v for d, v in (coords or {}).items() if d in dims})
        return xr.DataArray(shaped, dims=dims + field.dims, coords=all_coords)


def output_values(results: xr.Dataset) -> Iterator[OutputValues]:
    """Yield every output of ``results`` (dim ``sample`` first) as a matrix."""
    for name, array in results.data_vars.items():
        if "sample" not in array.dims:
            continue
        yield OutputValues(str(name), array.transpose("sample", ...))


def input_coords(space: InputSpace) -> dict[str, object]:
    """Coordinates for dims ``input`` and ``input_b`` (second-order pairs)."""
    return {"input": list(space.names), "input_b": list(space.names)}


def require_complete(values: OutputValues, method: str) -> None:
    """Refuse an analysis whose estimator needs every sample of its design.

    Parameters
    ----------
    values
        One output's samples.
    method
        The method's name, for the message.

    Raises
    ------
    AnalysisError
        When some samples failed.
    """
    message = incomplete(values, method)
    if message:
        raise AnalysisError(f"{method}: {message}")


def incomplete(values: OutputValues, method: str, droppable: bool = False) -> str:
    """Why an output with failed samples cannot be estimated by ``method``, which needs
    every sample of its design.

    Parameters
    ----------
    values
        One output's samples.
    method
        The method's name, for the message.
    droppable
        Whether the method offers ``failures: drop`` (the message then says so).

    Returns
    -------
    str
        The reason, or ``""`` when no sample failed.
    """
    failed = int((~values.finite_rows()).sum())
    if not failed:
        return ""
    drop = " or set 'failures: drop'," if droppable else ""
    return (
        f"{failed} of {len(values.values)} samples of output '{values.name}' failed or "
        f"are not finite, and the {method} estimator needs every sample of its design; "
        f"fix the failures, then `uqscale resume DIR --retry-failed` runs them again;"
        f"{drop} or use 'pce' (regression) or 'moments', which drop failed samples"
    )
