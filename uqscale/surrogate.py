"""Fitted polynomial chaos expansions as products: stored with every PCE analysis in
``analyses.nc``, rebuilt from the file alone (no study folder, no model code).

What each ``pce/OUTPUT`` group stores besides its indices:

``pce_multi_index`` (``pce_term``, ``input``)
    The degree of each input's orthonormal polynomial in each term (row 0: the
    constant).
``pce_coefficient`` (``pce_term``, then the output's field dims)
    The coefficient of each term.
attr ``pce_inputs``
    JSON ``{input: {distribution: ..., parameters ...}}``: the marginals whose
    orthonormal polynomials (of the physical input) make the basis; the same table
    a study file uses (:mod:`uqscale.distributions`).
attr ``pce_correlation``
    JSON of the normal-score correlation matrix of a ``correlation:`` block (the
    Gaussian copula the design was drawn through), or ``null``. The expansion is a
    function of the physical inputs, so evaluating it needs no transform through the
    copula; it is stored to say which joint distribution the fit is valid for.

:func:`load_surrogate` rebuilds a :class:`Surrogate`, a callable on arrays (NumPy, or
lazily Dask) of the inputs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from uqscale.analysis.dims import TERM
from uqscale.errors import UqscaleError

if TYPE_CHECKING:
    from uqscale.analysis.common import OutputValues
    from uqscale.space import InputSpace


def with_expansion(
    dataset: xr.Dataset,
    out: OutputValues,
    space: InputSpace,
    multi_index: np.ndarray,
    coefficients: np.ndarray,
) -> xr.Dataset:
    """``dataset`` (a PCE analysis of one output) with its expansion stored.

    Parameters
    ----------
    dataset
        The analysis Dataset of :func:`uqscale.analysis.pce.analyze`.
    out
        The output fitted.
    space
        The inputs: their marginals and copula.
    multi_index
        ``(T, d)`` degrees of every term.
    coefficients
        ``(T, P)`` coefficients of every term at every point of the output.

    Returns
    -------
    xarray.Dataset
        ``dataset`` with the expansion's variables and attributes added.
    """
    inputs = {i.name: {"distribution": i.distribution, **i.params} for i in space.inputs}
    correlation = None if space.copula is None else space.correlation.tolist()
    variables = {
        "pce_multi_index": xr.DataArray(
            np.asarray(multi_index, dtype=np.int64),
            dims=(TERM, "input"),
            coords={"input": list(space.names)},
        ),
        "pce_coefficient": out.labelled((TERM,), np.asarray(coefficients, dtype=float)),
    }
    return dataset.assign(variables).assign_attrs(
        pce_inputs=json.dumps(inputs), pce_correlation=json.dumps(correlation)
    )


@dataclass(frozen=True)
class Surrogate:
    """A stored expansion, callable as ``surrogate(x1=array, x2=array, ...)``.

    Returns an :class:`xarray.DataArray` over the inputs' dims (then the output's
    field dims); Dask arrays in give a lazy DataArray out, computed block by block.
    """

    output: str
    inputs: Mapping[str, Mapping[str, float | str]]
    multi_index: np.ndarray
    coefficients: xr.DataArray
    correlation: list[list[float]] | None = None

    @classmethod
    def from_dataset(cls, output: str, dataset: xr.Dataset) -> Surrogate:
        """The surrogate stored in a PCE analysis Dataset (of ``analyses.nc``).

        Parameters
        ----------
        output
            The output's name.
        dataset
            Its ``pce/OUTPUT`` group, as a Dataset.

        Returns
        -------
        Surrogate
            The stored expansion, rebuilt.
        """
        if "pce_coefficient" not in dataset:
            raise UqscaleError(
                f"output {output!r}: this PCE analysis stores no expansion (run by an "
                f"older uqscale); `uqscale analyze DIR` stores it"
            )
        return cls(
            output,
            json.loads(dataset.attrs["pce_inputs"]),
            dataset["pce_multi_index"].values,
            dataset["pce_coefficient"].load(),
            json.loads(dataset.attrs.get("pce_correlation", "null")),
        )

    def __call__(self, **inputs: Any) -> xr.DataArray:
        """The expansion at the points given per input (arrays of one shape).

        Raises
        ------
        UqscaleError
            When an input is missing or unknown.
        """
        names = list(self.inputs)
        if set(inputs) != set(names):
            missing, extra = sorted(set(names) - set(inputs)), sorted(set(inputs) - set(names))
            raise UqscaleError(
                f"surrogate of {self.output!r} takes inputs {names} "
                f"(missing {missing}, unknown {extra})"
            )
        arrays = [inputs[n] for n in names]
        field = self.coefficients.isel({TERM: 0}, drop=True)
        if any(hasattr(a, "dask") for a in arrays):
            import dask.array as da

            columns = [da.asarray(a, dtype=float) for a in arrays]  # type: ignore[no-untyped-call]
            stacked = da.stack(columns, axis=-1)  # type: ignore[no-untyped-call]
            shape = stacked.shape[:-1]
            rows = stacked.reshape(-1, len(names)).rechunk({1: -1})
            values = rows.map_blocks(
                self._evaluate, dtype=float, chunks=(rows.chunks[0], (field.size,))
            )
        else:
            stacked = np.stack([np.asarray(a, dtype=float) for a in arrays], axis=-1)
            shape = stacked.shape[:-1]
            values = self._evaluate(stacked.reshape(-1, len(names)))
        point_dims = tuple(f"point_{k}" for k in range(len(shape)))
        return xr.DataArray(
            values.reshape(*shape, *field.shape),
            dims=(*point_dims, *field.dims),
            coords=field.coords,
            name=self.output,
        )

    def _evaluate(self, x: np.ndarray) -> np.ndarray:
        """``(n, P)`` values at the points ``x`` ``(n, d)``."""
        from uqscale.analysis.polynomials import Basis, orthonormal

        order = int(self.multi_index.max())
        univariate = tuple(orthonormal(_marginal(p), order) for p in self.inputs.values())
        matrix = Basis(self.multi_index, univariate).matrix(x)
        coefficients: np.ndarray = self.coefficients.values.reshape(len(self.multi_index), -1)
        return np.asarray(matrix @ coefficients)


def _marginal(entry: Mapping[str, float | str]) -> Any:
    """The chaospy distribution of a stored input (``{distribution: ..., params}``)."""
    from uqscale.distributions import build

    params = {k: float(v) for k, v in entry.items() if k != "distribution"}
    return build(str(entry["distribution"]), params)


def load_surrogate(directory: str | Path, output: str, label: str | None = None) -> Surrogate:
    """The expansion a run's PCE analysis fitted to ``output``, from ``analyses.nc``.

    Parameters
    ----------
    directory
        The run folder (only its ``analyses.nc`` is read).
    output
        The output's name.
    label
        Which PCE analysis (default: the first that fitted ``output``).

    Raises
    ------
    UqscaleError
        When no PCE analysis of the run fitted ``output``.

    Returns
    -------
    Surrogate
        The stored expansion, rebuilt without the study's code.
    """
    path = Path(directory) / "analyses.nc"
    if not path.is_file():
        raise UqscaleError(f"{directory}: no analyses.nc (not an analysed run folder)")
    with xr.open_datatree(path, engine="h5netcdf") as tree:
        from uqscale.analysis.pce_method import METHOD as PCE

        pce = [n for n, node in tree.children.items() if node.attrs.get("method") == PCE.name]
        fitted = [n for n in ([label] if label else pce) if n in pce and output in tree[n].children]
        if not fitted:
            raise UqscaleError(
                f"{directory}: no PCE analysis{f' {label!r}' if label else ''} fitted output "
                f"{output!r} (PCE analyses: {pce})"
            )
        return Surrogate.from_dataset(output, tree[fitted[0]][output].to_dataset().load())


def predict_file(surrogate: Surrogate, path: str | Path) -> xr.Dataset:
    """The surrogate at the points of a CSV or netCDF file: its inputs and the
    prediction over dim ``point``.

    Parameters
    ----------
    surrogate
        The stored expansion.
    path
        A CSV file with a column per input (a header row naming them), or a netCDF
        file with a variable per input over one dim.

    Raises
    ------
    UqscaleError
        When the file cannot be read or lacks an input.

    Returns
    -------
    xarray.Dataset
        The inputs and the prediction over dim ``point``.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".nc", ".nc4", ".netcdf"):
            table = xr.load_dataset(path)
        else:
            import pandas as pd  # type: ignore[import-untyped]

            table = xr.Dataset.from_dataframe(pd.read_csv(path))
    except (OSError, ValueError) as error:
        raise UqscaleError(f"{path}: cannot read the inputs ({error})") from None
    missing = [name for name in surrogate.inputs if name not in table]
    if missing:
        raise UqscaleError(
            f"{path}: no column {missing[0]!r} (the surrogate takes {list(surrogate.inputs)})"
        )
    columns = {name: table[name].values.ravel() for name in surrogate.inputs}
    predicted = surrogate(**columns).rename(point_0="point")
    inputs = {name: ("point", values) for name, values in columns.items()}
    return predicted.to_dataset().assign_coords(inputs)


def write_predictions(predictions: xr.Dataset, out: str | Path) -> Path:
    """Write ``predictions`` as netCDF (``.nc``) or CSV (anything else; a field
    output takes a row per point and field coordinate).

    Parameters
    ----------
    predictions
        What :func:`predict_file` gave.
    out
        The file to write.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    out = Path(out)
    if out.suffix.lower() == ".nc":
        predictions.to_netcdf(out, engine="h5netcdf")
    else:
        predictions.to_dataframe().to_csv(out)
    return out
