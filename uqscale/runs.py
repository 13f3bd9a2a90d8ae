"""Runs as objects: :func:`run` and :func:`open_run` return a :class:`Run`, the
stored run folder with the views a notebook user reaches for (inputs beside the
outputs, indices as xarray, a data frame, plots, the report).

A :class:`Run` is a :class:`~uqscale.api.RunResult` (every attribute stays), built
from the store's public reading functions; nothing here writes to the run folder
except :meth:`Run.report` when no report is there yet.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from uqscale.api import RunResult
from uqscale.errors import UqscaleError
from uqscale.records import Failure
from uqscale.status import stored_warnings
from uqscale.store import ENGINE, RunStore
from uqscale.study.model import Study, UncertainInput

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from uqscale.plot import RunPlots
    from uqscale.surrogate import Surrogate


class Indices(dict[str, Any]):
    """``indices.json`` as a mapping (what :attr:`RunResult.indices` always was), and
    callable: ``run.indices(method="pce", output="y")`` gives that analysis's
    Dataset."""

    def __init__(self, document: dict[str, Any], analyses: xr.DataTree, study: Study) -> None:
        super().__init__(document)
        self._analyses = analyses
        self._study = study

    def __call__(self, method: str | None = None, output: str | None = None) -> xr.Dataset:
        """The Dataset of one analysis and output (``S1``, ``ST`` ... over ``input``).

        Parameters
        ----------
        method
            An analysis label or method name; default the study's first analysis.
        output
            An output name; default the first output that analysis computed.

        Raises
        ------
        UqscaleError
            When the run holds no such analysis or output, naming those it holds.
        """
        labels = [a.label for a in self._study.analysis if a.label in self._analyses.children]
        matching = [
            a.label
            for a in self._study.analysis
            if a.label in labels and method in (None, a.label, a.method)
        ]
        if not matching:
            raise UqscaleError(f"no analysis {method!r} in this run (it holds {labels})")
        node = self._analyses[matching[0]]
        outputs = list(node.children)
        name = output if output is not None else (outputs or [None])[0]
        if name not in outputs:
            raise UqscaleError(
                f"analysis {matching[0]!r} has no output {output!r} (it holds {outputs})"
            )
        return node[name].to_dataset()


class Run(RunResult):
    """A stored run: :class:`~uqscale.api.RunResult` plus views and plots.

    ``results`` holds the outputs with the inputs merged in as coordinates over
    ``sample`` (each with its ``units`` and ``distribution`` in attrs); ``indices`` is
    ``indices.json`` as a mapping, and called (``run.indices(method, output)``) the
    analysis Dataset.
    """

    indices: Indices

    @classmethod
    def of(cls, result: RunResult) -> Run:
        """The Run of what :func:`uqscale.api.run` (or ``resume``, ``analyze``) returned."""
        study = result.study or RunStore.open(result.directory).study()
        path = result.directory / "results.nc"
        result.results.close()  # opened lazily from the file: release it to add to it
        store_inputs(path, result.design, study)
        fields = {name: getattr(result, name) for name in RunResult.__dataclass_fields__}
        fields |= {
            "study": study,
            "results": xr.open_dataset(path, engine=ENGINE),
            "indices": Indices(dict(result.indices), result.analyses, study),
        }
        return cls(**fields)

    @property
    def assimilation(self) -> xr.Dataset | None:
        """h20a (issue 20.6): the run's ``assimilation.nc`` (every cycle's ensembles,
        observations and innovations; docs/assimilation.md), None for a run without
        an ``assimilate:`` block."""
        from uqscale.assimilation.results import open_assimilation

        return open_assimilation(self.directory)

    @property
    def plot(self) -> RunPlots:
        """Matplotlib plots of this run (:class:`uqscale.plot.RunPlots`)."""
        from uqscale.plot import RunPlots

        return RunPlots(self)

    def surrogate(self, output: str, label: str | None = None) -> Surrogate:
        """The PCE expansion fitted to ``output``, callable on arrays of the inputs.

        Parameters
        ----------
        output
            The output's name.
        label
            Which PCE analysis (default: the first that fitted ``output``).

        Returns
        -------
        Surrogate
            The expansion, callable on arrays of the inputs.
        """
        from uqscale.surrogate import load_surrogate

        return load_surrogate(self.directory, output, label)

    def to_dataframe(self) -> pd.DataFrame:
        """The scalar outputs, one row per sample, with the inputs as columns."""
        scalars = [name for name, v in self.results.data_vars.items() if v.dims == ("sample",)]
        return self.results[scalars].to_dataframe()

    def report(self) -> Path:
        """The run's ``report.html`` (written first if the folder has none)."""
        path = self.directory / "report.html"
        if not path.is_file():
            from uqscale.report.html import write_report

            write_report(self.directory)
        return path


def input_attrs(item: UncertainInput) -> dict[str, Any]:
    """An input's attrs in ``results.nc``: its distribution, parameters, units, scale."""
    attrs: dict[str, Any] = {"distribution": item.distribution, **item.params}
    return attrs | {k: v for k, v in (("units", item.units), ("scale", item.scale)) if v}


def store_inputs(path: Path, design: xr.Dataset, study: Study) -> None:
    """Add each input of ``design`` to ``results.nc`` in place, as a coordinate of
    every output over ``sample`` (with :func:`input_attrs`); nothing when they are
    there. Only variables are added: a fault leaves the outputs as they were, and
    ``uqscale analyze DIR`` writes the file afresh from the stored batches.

    Parameters
    ----------
    path
        The run's ``results.nc``.
    design
        The design (a variable per input over ``sample``).
    study
        Whose inputs they are.
    """
    import h5netcdf

    with h5netcdf.File(path, "r") as file:  # a reader may hold it open: read first
        if all(name in file.variables for name in study.input_names):
            return
    with h5netcdf.File(path, "a") as file:
        for item in study.inputs:
            if item.name not in file.variables:
                column = file.create_variable(item.name, ("sample",), data=design[item.name].values)
                column.attrs.update(input_attrs(item))
        names = " ".join(study.input_names)
        for name, variable in file.variables.items():
            if "sample" in variable.dimensions and name not in (*study.input_names, "sample"):
                variable.attrs["coordinates"] = names


def open_run(directory: str | Path) -> Run:
    """Open a stored run folder (of ``uqscale run`` or :func:`run`).

    Parameters
    ----------
    directory
        The run folder.

    Raises
    ------
    UqscaleError
        When the folder holds no run, or its run has not been analysed yet (then
        ``uqscale analyze DIR`` or ``uqscale resume DIR``).
    """
    store = RunStore.open(Path(directory))
    folder = store.directory
    missing = [
        n for n in ("results.nc", "analyses.nc", "indices.json") if not (folder / n).is_file()
    ]
    if missing:
        raise UqscaleError(
            f"{folder}: no {missing[0]} yet; `uqscale resume {folder}` finishes the run"
        )
    failures = json.loads((folder / "failures.json").read_text(encoding="utf-8"))
    result = RunResult(
        directory=folder,
        design=store.design(),
        results=xr.open_dataset(folder / "results.nc", engine=ENGINE),
        failures=[Failure(**f) for f in failures],
        analyses=xr.open_datatree(folder / "analyses.nc", engine=ENGINE),
        indices=json.loads((folder / "indices.json").read_text(encoding="utf-8")),
        timings=dict(store.provenance().get("seconds", {})),
        warnings=stored_warnings(store),
        study=store.study(),
    )
    return Run.of(result)


def run(study: Study, out: str | Path | None = None, *, client: Any = None, **options: Any) -> Run:
    """Run a study (as :func:`uqscale.api.run`) and return its :class:`Run`.

    On the active ``distributed`` client when there is one (else the study's own
    cluster); a progress bar when interactive (a terminal or a notebook). From a
    script without an ``if __name__ == "__main__":`` guard, a local cluster's workers
    are threads of this process, since worker processes would run the script again.

    Parameters
    ----------
    study
        The study to run.
    out
        The run folder; default ``output.directory`` or ``runs/NAME``.
    client
        A Dask client to run on (default: the active one, if any).
    **options
        As for :func:`uqscale.api.run` (``report=False``, ``batch_size=8`` ...).

    Returns
    -------
    Run
        The finished run: its folder, results, indices and surrogates.
    """
    from uqscale import api

    options.setdefault("progress", interactive())
    with _client_for(study, client) as chosen:
        return Run.of(api.run(study, out, client=chosen, **options))


def interactive() -> bool:
    """Whether a person watches: standard error is a terminal, or the code runs in a
    notebook's kernel (IPython's shell is a ZMQ kernel shell; importing ipykernel, as
    nbclient does, is not enough)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return sys.stderr.isatty() or type(shell).__name__ == "ZMQInteractiveShell"


@contextmanager
def _client_for(study: Study, client: Any) -> Iterator[Any]:
    """``client``, else the active one, else threads for an unguarded script, else
    None (the study's cluster)."""
    if client is None:
        client = active_client()
    if client is not None or study.execution.cluster != "local" or not unguarded_script():
        yield client
        return
    from distributed import Client, LocalCluster

    workers = study.execution.workers
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as threads,  # type: ignore[no-untyped-call]
    ):
        yield threads


def active_client() -> Any:
    """The ``distributed`` client this process made current, or None."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()  # type: ignore[no-untyped-call]
    except ValueError:
        return None


def unguarded_script() -> bool:
    """Whether ``__main__`` is a script file with no ``if __name__ == "__main__":``
    block (worker processes would import it, and so run it, again)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path or not Path(path).is_file():
        return False
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return False
    return not any(isinstance(node, ast.If) and _is_main_test(node.test) for node in tree.body)


def _is_main_test(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def resume(directory: str | Path, **options: Any) -> Run:
    """Finish an interrupted run (as :func:`uqscale.api.resume`) and return its Run.

    Parameters
    ----------
    directory
        The run folder.
    **options
        As for :func:`uqscale.api.resume`.

    Returns
    -------
    Run
        The finished run.
    """
    from uqscale import api

    options.setdefault("progress", interactive())
    return Run.of(api.resume(directory, **options))


def analyze(directory: str | Path, study: Study | None = None, **options: Any) -> Run:
    """Re-run a run folder's analyses (as :func:`uqscale.api.analyze`); its Run.

    Parameters
    ----------
    directory
        A stored run's folder.
    study
        A study whose analyses replace the stored ones (None keeps them).
    **options
        As for :func:`uqscale.api.analyze`.

    Returns
    -------
    Run
        The run with its new analyses.
    """
    from uqscale import api

    return Run.of(api.analyze(directory, study, **options))
