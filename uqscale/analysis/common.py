"""What every analysis shares: flattening field outputs and labelling the results."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from uqscale.errors import UqscaleError


class AnalysisError(UqscaleError):
    """An analysis that cannot be computed from the samples at hand."""


@dataclass(frozen=True)
class OutputValues:
    """One output's samples as a matrix ``(n, points)``, with what is needed to
    give the results back their field dimensions."""

    name: str
    values: np.ndarray
    template: xr.DataArray

    def finite_rows(self) -> np.ndarray:
        """Boolean mask of samples whose every point is finite (failed ones are NaN)."""
        return np.isfinite(self.values).all(axis=1)

    def labelled(self, dims: tuple[str, ...], array: np.ndarray,
                 coords: Mapping[str, object] | None = None) -> xr.DataArray:
        """Label ``array`` of shape ``(*leading, points)``: ``dims`` name the leading
        axes; the last axis becomes the output's field dimensions."""
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
        array = array.transpose("sample", ...)
        template = array.isel(sample=0, drop=True)
        yield OutputValues(str(name), array.values.reshape(array.shape[0], -1), template)


def input_coords(space) -> dict[str, object]:
    """Coordinates for dims ``input`` and ``input_b`` (second-order pairs)."""
    return {"input": list(space.names), "input_b": list(space.names)}


def require_complete(values: OutputValues, method: str) -> None:
    """Refuse an analysis whose estimator needs every sample of its design."""
    failed = int((~values.finite_rows()).sum())
    if failed:
        raise AnalysisError(
            f"{method}: {failed} of {len(values.values)} samples of output "
            f"'{values.name}' failed or are not finite, and the {method} estimator needs "
            f"every sample of its design; fix the failures and resume the run, or use "
            f"'pce' (regression) or 'moments', which drop failed samples")
