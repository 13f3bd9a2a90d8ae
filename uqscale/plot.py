"""Matplotlib plots of a run: ``run.plot.indices(...)`` and ``run.plot.field(...)``,
each drawing on the given axes (or new ones) and returning them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from uqscale.runs import Run


class RunPlots:
    """The plots of one :class:`uqscale.runs.Run`."""

    def __init__(self, run: Run) -> None:
        self._run = run

    def indices(
        self,
        method: str | None = None,
        output: str | None = None,
        ax: Axes | None = None,
    ) -> Axes:
        """Bars of ``S1`` and ``ST`` per input (with their confidence half-widths when
        the analysis has them) of one analysis and scalar output.

        Parameters
        ----------
        method, output
            As for :meth:`uqscale.runs.Indices.__call__`.
        ax
            Axes to draw on; default new ones.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        found = self._run.indices(method, output)
        ax = ax or _axes()
        names = [str(n) for n in found["input"].values]
        keys = [k for k in ("S1", "ST") if k in found]
        width = 0.8 / max(len(keys), 1)
        for k, key in enumerate(keys):
            values = found[key]
            if values.dims != ("input",):
                raise ValueError(f"{key} of this output is a field; plot.field draws fields")
            conf = found[f"{key}_conf"].values if f"{key}_conf" in found else None
            ax.bar(np.arange(len(names)) + k * width, values.values, width, yerr=conf, label=key)
        ax.set_xticks(np.arange(len(names)) + width * (len(keys) - 1) / 2, names)
        ax.set_ylabel("index")
        ax.set_title(f"{found.attrs.get('method', method or '')} {output or ''}".strip())
        ax.legend()
        return ax

    def field(self, output: str, ax: Axes | None = None) -> Axes:
        """Mean and the 5 to 95 % band of a field output over its dimension.

        Parameters
        ----------
        output
            A field output with one dimension besides ``sample``.
        ax
            Axes to draw on; default new ones.

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.
        """
        values = self._run.results[output]
        dims = [d for d in values.dims if d != "sample"]
        if len(dims) != 1:
            raise ValueError(f"output {output!r} has dims {dims}; plot.field draws one")
        x = values[dims[0]].values
        low, high = values.quantile([0.05, 0.95], dim="sample", skipna=True).values
        ax = ax or _axes()
        ax.fill_between(x, low, high, alpha=0.3, label="5-95 %")
        ax.plot(x, values.mean("sample", skipna=True).values, label="mean")
        ax.set_xlabel(str(dims[0]))
        ax.set_ylabel(output)
        ax.legend()
        return ax


def _axes() -> Axes:
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()
