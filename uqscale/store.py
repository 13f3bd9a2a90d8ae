"""The run folder: everything a run produces, written so that a crash loses nothing.

Layout::

    DIR/study.yaml          the resolved study (what ran)
    DIR/study.given.yaml    the study file as given
    DIR/provenance.json     hashes, versions, host, times, command line
    DIR/design.nc           inputs of every sample (dim ``sample``)
    DIR/parts/NNNNNNNNNN.nc results of one batch, written as it finishes
    DIR/results.nc          all results (dim ``sample``; NaN where failed)
    DIR/failures.json       failed samples: index, step, error, message, traceback
    DIR/analyses.nc         one netCDF group per analysis and output
    DIR/indices.json        the machine-readable summary

Every file is written to a temporary name and renamed into place, so none is
ever seen half-written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from uqscale.errors import UqscaleError
from uqscale.models.evaluate import BatchResult, Failure
from uqscale.study.model import Study

ENGINE = "h5netcdf"


def atomic_write(path: Path, write) -> None:
    """Call ``write(temporary_path)``, then rename the result to ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UqscaleError(f"{path}: cannot write ({error.strerror or error})") from None


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_netcdf(path: Path, dataset: xr.Dataset) -> None:
    """Write ``dataset`` to ``path`` atomically."""
    atomic_write(path, lambda p: dataset.to_netcdf(p, engine=ENGINE))


class RunStore:
    """A run folder on disk.

    Parameters
    ----------
    directory
        The folder; :meth:`create` makes it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"

    @classmethod
    def create(cls, directory: Path, study: Study, given_text: str, design: xr.Dataset,
               provenance: Mapping[str, Any]) -> RunStore:
        """Make a new run folder holding the study, its design and provenance."""
        from uqscale.study.files import study_to_yaml

        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()):
            raise UqscaleError(f"{directory}: already holds files; choose another --out")
        # Built beside its final place and renamed into it: a folder is a run or nothing.
        staging = cls(directory.with_name(f".{directory.name}.{os.getpid()}.new"))
        try:
            staging.parts.mkdir(parents=True)
            write_text(staging.directory / "study.given.yaml", given_text)
            write_text(staging.directory / "study.yaml", study_to_yaml(study))
            write_netcdf(staging.directory / "design.nc", design)
            write_json(staging.directory / "provenance.json", dict(provenance))
            if directory.exists():
                directory.rmdir()
            os.replace(staging.directory, directory)
        except OSError as error:
            shutil.rmtree(staging.directory, ignore_errors=True)
            raise UqscaleError(f"{directory}: cannot create the run folder "
                               f"({error.strerror or error})") from None
        except BaseException:
            shutil.rmtree(staging.directory, ignore_errors=True)
            raise
        return cls(directory)

    def write_batch(self, result: BatchResult, output_dims: Mapping[str, tuple[str, ...]]) -> None:
        """Store one batch's outputs and failures in a single file."""
        sample = np.arange(result.start, result.stop)
        variables = {name: (("sample",) + output_dims[name], values)
                     for name, values in result.outputs.items()}
        part = xr.Dataset(variables, coords={"sample": sample})
        part.attrs["failures"] = json.dumps([dataclasses.asdict(f) for f in result.failures])
        part.attrs["seconds"] = result.seconds
        write_netcdf(self.parts / f"{result.start:010d}.nc", part)

    def collect(self, size: int, coords: Mapping[str, Mapping[str, Any]]
                ) -> tuple[xr.Dataset, list[Failure]]:
        """All stored batches as one Dataset over ``sample`` (NaN where missing or
        failed), and the failures; written to ``results.nc`` and ``failures.json``."""
        parts = [xr.load_dataset(p, engine=ENGINE) for p in sorted(self.parts.glob("*.nc"))]
        failures = [Failure(**f) for part in parts for f in json.loads(part.attrs["failures"])]
        for part in parts:
            part.attrs = {}
        combined = xr.concat(parts, dim="sample", data_vars="all", join="outer",
                             fill_value=np.nan) if parts else xr.Dataset()
        results = combined.reindex(sample=np.arange(size), fill_value=np.nan)
        for name, dim_coords in coords.items():
            for dim, values in dim_coords.items():
                if name in results and dim in results[name].dims:
                    results = results.assign_coords({dim: list(values)})
        failures.sort(key=lambda f: f.sample)
        write_netcdf(self.directory / "results.nc", results)
        write_json(self.directory / "failures.json", [dataclasses.asdict(f) for f in failures])
        return results, failures

    def write_analyses(self, analyses: Mapping[str, Mapping[str, xr.Dataset]],
                       indices: Mapping[str, Any]) -> None:
        """Store every analysis (a netCDF group per ``label/output``) and indices.json."""
        tree = xr.DataTree.from_dict({f"{label}/{output}": ds
                                      for label, by_output in analyses.items()
                                      for output, ds in by_output.items()})
        atomic_write(self.directory / "analyses.nc",
                     lambda p: tree.to_netcdf(p, engine=ENGINE))
        write_json(self.directory / "indices.json", indices)
