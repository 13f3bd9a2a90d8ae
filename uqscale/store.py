"""The run folder: everything a run produces, written so that a crash loses nothing.

Layout::

    DIR/study.yaml          the resolved study (what ran)
    DIR/study.given.yaml    the study file as given
    DIR/provenance.json     hashes, versions, host, study folder, sessions (start, end,
                            command line), seconds per stage
    DIR/design.nc           inputs of every sample (dim ``sample``)
    DIR/parts/*.nc          results and failures of one batch, written by the worker
                            that ran it (the folder is on a file system workers share)
    DIR/results.nc          all results (dim ``sample``; NaN where failed or missing):
                            HDF5 virtual datasets over the parts, a few kB, the data
                            stay in the parts (held once)
    DIR/failures.json       failed samples: index, step, error, message, traceback
    DIR/analyses.nc         one netCDF group per analysis and output
    DIR/indices.json        the machine-readable summary
    DIR/.lock               held by the launcher working on the folder

Every file is written under an unpredictable temporary name (created with
``O_EXCL``), flushed to disk (``fsync``) and renamed into place, then the folder
entry is flushed too: none is ever seen half-written, and a batch counts as stored
only once it would survive a power cut. A folder is created complete or not at all.
Nothing is written through a symbolic link planted in a folder (a folder copied,
shared or unpacked from someone else): a rename replaces the link itself, the lock is
opened with ``O_NOFOLLOW``, and ``parts/`` must be a real folder. Batches of a later
session (a resume) override earlier results of the same samples.

Each part is written after its receipt (``parts/NAME.nc.sum``: size and SHA-256), and
checked against it whenever it is first read (a part whose receipt the launcher has just
received from the worker that wrote it is trusted without rehashing); a part that is
damaged (truncated, empty, garbled, unreadable) is reported in one line naming it, moved
to ``parts/damaged/`` by the commands that hold the lock, and its samples count as not
run, so that a resume computes them again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import xarray as xr

from uqscale.errors import UqscaleError
from uqscale.records import BatchResult, Failure
from uqscale.study.model import Study

ENGINE = "h5netcdf"
RECEIPT = ".sum"
"""Suffix of a part's receipt: ``SIZE SHA256`` of the part file."""
DAMAGED = "damaged"
"""Folder of ``parts/`` where damaged parts are moved."""
PART_CHUNK_ROWS = 2**17
"""HDF5 chunks of a field output in a part: this many samples (at most) by one point
of the first field dim, so that reading a few points of every sample (what the
analyses do, a block of points at a time) reads only those points."""
log = logging.getLogger(__name__)
RETRYABLE = ("WorkerLost", "UmbridgeConnectionError")
"""Failures a resume runs again by default: they say nothing about the sample (a lost
worker, a UM-Bridge server that was down; a timeout may: resume with ``--retry-failed``
to run those again)."""


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)``, make the result durable and rename it to ``path``.

    The temporary file is created beside ``path`` under an unpredictable name with
    ``O_EXCL`` (never through a planted link), flushed with ``fsync`` before the
    rename, and the folder is flushed after it. A symbolic link at ``path`` is
    replaced, never followed.

    Parameters
    ----------
    path
        The file to write.
    write
        Writes the content to the path it is given.

    Raises
    ------
    UqscaleError
        On a full disk, a permission error or any other failure to write; the
        temporary file is removed and ``path`` keeps its previous content.
    """
    temporary = None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
        temporary = Path(name)
        write(temporary)
        _flush_file(temporary)
        os.replace(temporary, path)
        _flush_file(path.parent)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        reason = error.strerror or str(error)
        raise UqscaleError(
            f"{path}: cannot write ({reason}); nothing stored there was "
            f"damaged, free space or fix permissions and resume"
        ) from None
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


def _flush_file(path: Path) -> None:
    """``fsync`` a file or a folder (without following a link)."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_bytes(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically and durably.

    Parameters
    ----------
    path
        The file to write.
    content
        Its bytes.
    """
    atomic_write(path, lambda p: p.write_bytes(content))


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically and durably.

    Parameters
    ----------
    path
        The file to write.
    text
        Its content, encoded as UTF-8.
    """
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically.

    Parameters
    ----------
    path
        The file to write.
    data
        JSON-serialisable, without NaN.
    """
    write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


_BUILDING = threading.Lock()
"""Held while :func:`netcdf_bytes` builds a file (a worker's threads take turns)."""


def netcdf_bytes(data: xr.Dataset | xr.DataTree) -> bytes:
    """A Dataset (or DataTree) as the bytes of a netCDF file, built in memory (so a
    full disk is a clean OSError rather than a failure inside the HDF5 library)."""
    import dask.config

    # Synchronous: with a Dask client active, xarray would take a distributed lock
    # named after the target, which an in-memory target cannot have. The setting is
    # global, not per thread: one build at a time per process, or a worker thread
    # leaving the block would switch it back under another one still writing (HDF5
    # runs one call at a time per process anyway).
    with _BUILDING, dask.config.set(scheduler="synchronous"):
        return bytes(data.to_netcdf(engine=ENGINE))  # type: ignore[call-overload]


def write_netcdf(path: Path, data: xr.Dataset | xr.DataTree) -> None:
    """Write a Dataset (or DataTree) to ``path`` atomically.

    Parameters
    ----------
    path
        The netCDF file to write.
    data
        What it holds (a DataTree: one group per node).
    """
    write_bytes(path, netcdf_bytes(data))


def read_json(path: Path) -> Any:
    """Read a JSON file of the run folder."""
    return json.loads(path.read_text(encoding="utf-8"))


class RunStore:
    """A run folder on disk.

    Parameters
    ----------
    directory
        An existing run folder (see :meth:`create`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"
        self._checked: dict[tuple[str, int, int], str | None] = {}

    # -- creating and opening -----------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        study: Study,
        given_text: str,
        design: xr.Dataset,
        provenance: Mapping[str, Any],
    ) -> RunStore:
        """Make a new run folder holding the study, its design and provenance.

        Parameters
        ----------
        directory
            The folder to create (it may exist, empty).
        study
            The resolved study (written as ``study.yaml``).
        given_text
            The study file as given (``study.given.yaml``).
        design
            Inputs of every sample.
        provenance
            The first provenance record.

        Returns
        -------
        RunStore
            The new folder, complete.
        """
        from uqscale.study.files import study_to_yaml

        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()):
            raise UqscaleError(f"{directory}: already holds files; choose another --out")
        # Built beside its final place and renamed into it: a folder is a run or nothing.
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            staging = cls(
                Path(
                    tempfile.mkdtemp(
                        prefix=f".{directory.name}.", suffix=".new", dir=directory.parent
                    )
                )
            )
        except OSError as error:
            raise UqscaleError(
                f"{directory}: cannot create the run folder ({error.strerror or error})"
            ) from None
        try:
            umask = os.umask(0)
            os.umask(umask)
            staging.directory.chmod(0o777 & ~umask)  # mkdtemp's folder is private
            staging.parts.mkdir()
            write_text(staging.directory / "study.given.yaml", given_text)
            write_text(staging.directory / "study.yaml", study_to_yaml(study))
            write_netcdf(staging.directory / "design.nc", design)
            write_json(staging.directory / "provenance.json", dict(provenance))
            if directory.is_symlink() or directory.exists():
                directory.rmdir()  # an empty folder (a link fails: never followed)
            os.replace(staging.directory, directory)
            _flush_file(directory.parent)
        except OSError as error:
            shutil.rmtree(staging.directory, ignore_errors=True)
            raise UqscaleError(
                f"{directory}: cannot create the run folder ({error.strerror or error})"
            ) from None
        except BaseException:
            shutil.rmtree(staging.directory, ignore_errors=True)
            raise
        return cls(directory)

    @classmethod
    def open(cls, directory: Path) -> RunStore:
        """Open an existing run folder, or say why it is not one."""
        store = cls(directory)
        for name in ("study.yaml", "design.nc", "provenance.json"):
            if not (store.directory / name).is_file():
                raise UqscaleError(f"{directory}: not a uqscale run folder (no {name})")
        return store

    @staticmethod
    def holds_run(directory: Path) -> bool:
        """Whether ``directory`` is a run folder."""
        return (Path(directory) / "study.yaml").is_file()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock; a second launcher gets a clear error instead of
        corrupting it. The operating system releases it if this process dies. Damaged
        parts are moved aside once the lock is held."""
        handle = self._open_lock(os.O_RDWR | os.O_CREAT)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise UqscaleError(
                    f"{self.directory}: in use by {holder}; wait for it to "
                    f"finish (uqscale status shows progress)"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"uqscale pid {os.getpid()} on {socket.gethostname()}\n")
            handle.flush()
            self._set_aside_damaged()
            yield
        finally:
            handle.close()

    def in_use(self) -> bool:
        """Whether a launcher (another process) holds the folder's lock now."""
        if not (self.directory / ".lock").exists():
            return False
        with self._open_lock(os.O_RDWR) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False

    def _open_lock(self, flags: int) -> TextIO:
        """The lock file as a text stream, never through a symbolic link."""
        path = self.directory / ".lock"
        try:
            handle = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as error:
            if path.is_symlink():
                raise UqscaleError(
                    f"{path}: is a symbolic link; uqscale never writes through "
                    f"one in a run folder: remove it"
                ) from None
            raise UqscaleError(f"{path}: cannot open the lock ({error.strerror})") from None
        return os.fdopen(handle, "r+", encoding="utf-8")

    # -- reading --------------------------------------------------------------------

    def provenance(self) -> dict[str, Any]:
        """The provenance record."""
        record: dict[str, Any] = read_json(self.directory / "provenance.json")
        return record

    def study(self) -> Study:
        """The resolved study the run was started with (models imported from the
        original study folder recorded in provenance)."""
        from uqscale.study.files import read_study_text, study_from_text

        folder = self.provenance().get("study_dir")
        return study_from_text(
            read_study_text(self.directory / "study.yaml"),
            Path(folder) if folder else None,
            str(self.directory / "study.yaml"),
        )

    def design(self) -> xr.Dataset:
        """The design of every sample."""
        return xr.load_dataset(self.directory / "design.nc", engine=ENGINE)

    def part_files(self) -> list[Path]:
        """Stored batches that pass their check (:meth:`damaged_parts` lists the
        others), oldest session first."""
        return [path for path in sorted(self.parts.glob("*.nc")) if not self._damage(path)]

    def damaged_parts(self) -> list[tuple[Path, str]]:
        """Parts that fail their check, with what is wrong: those still in ``parts/``
        and those already moved to ``parts/damaged/``."""
        found = [
            (path, reason)
            for path in sorted(self.parts.glob("*.nc"))
            if (reason := self._damage(path))
        ]
        moved = sorted((self.parts / DAMAGED).glob("*.nc"))
        return found + [(path, "moved aside earlier") for path in moved]

    def _damage(self, path: Path) -> str | None:
        """What is wrong with a part file (None: nothing), checked once per version
        of the file; a damaged part is reported once, in one line naming it."""
        try:
            stat = path.lstat()
        except OSError as error:
            return error.strerror
        key = (path.name, stat.st_size, stat.st_mtime_ns)
        if key not in self._checked:
            self._checked[key] = reason = check_part(path)
            if reason:
                log.warning(
                    "%s: damaged part (%s); its samples are run again on resume", path, reason
                )
        return self._checked[key]

    def trust(self, batch: StoredBatch) -> None:
        """Take a batch's part as checked, without reading it: its receipt was just
        received from the worker that wrote it (which hashed the bytes it wrote), and
        the part's size and receipt file on disk still say the same. Parts of earlier
        sessions (a resume, another process) are still hashed when first read."""
        path = self.parts / batch.part
        try:
            stat = path.lstat()
            recorded = path.with_name(path.name + RECEIPT).read_text(encoding="utf-8")
        except OSError:
            return  # missing: the full check reports it
        if stat.st_size == batch.size and recorded.strip() == batch.receipt:
            self._checked[(path.name, stat.st_size, stat.st_mtime_ns)] = None

    def _set_aside_damaged(self) -> None:
        """Move damaged parts (and their receipts) to ``parts/damaged/``."""
        for path, _ in self.damaged_parts():
            if path.parent == self.parts:
                aside = _real_folder(self.parts / DAMAGED)
                for item in (path, path.with_name(path.name + RECEIPT)):
                    if item.exists() or item.is_symlink():
                        os.replace(item, aside / item.name)

    def sample_state(self, size: int) -> tuple[np.ndarray, list[Failure]]:
        """Which samples have a stored result (``done``: bool array) and the
        failures still standing (a later success clears a failure)."""
        done, failures, _, _ = self._scan(size)
        return done, failures

    def _scan(
        self, size: int
    ) -> tuple[np.ndarray, list[Failure], dict[str, dict[str, int]], list[StoredPart]]:
        """One pass over the stored batches: :meth:`sample_state`, each stored
        output's field dims and sizes, and which part holds what."""
        done = np.zeros(size, dtype=bool)
        failures: dict[int, Failure] = {}
        shapes: dict[str, dict[str, int]] = {}
        stored: list[StoredPart] = []
        for path in self.part_files():
            samples, recorded, names = _part_index(path, shapes)
            if len(samples):
                stored.append(StoredPart(path, int(samples[0]), int(samples[-1]) + 1, names))
            done[samples] = True
            failed_here = {f.sample for f in recorded}
            if failures:  # a later success clears a failure (vectorised: 10^7 samples)
                earlier = np.fromiter(failures, dtype=np.int64, count=len(failures))
                for sample in earlier[np.isin(earlier, samples)].tolist():
                    if sample not in failed_here:
                        del failures[sample]
            failures.update({f.sample: f for f in recorded})
        return done, sorted(failures.values(), key=lambda f: f.sample), shapes, stored

    # -- writing --------------------------------------------------------------------

    def next_session(self) -> int:
        """Number for the batches of a new launcher session (1 for the first)."""
        sessions = {p.name.split("-")[0] for p in self.part_files()}
        return len(sessions) + 1

    def write_batch(
        self, result: BatchResult, output_dims: Mapping[str, tuple[str, ...]], session: int = 1
    ) -> StoredBatch:
        """Store one batch's outputs and failures in a single file (what a worker
        does with :class:`PartWriter`; the launcher only for batches whose workers
        were lost).

        Parameters
        ----------
        result
            The batch.
        output_dims
            Field dims of every output.
        session
            The launcher session whose batch it is.

        Returns
        -------
        StoredBatch
            Its receipt.
        """
        return self.part_writer(output_dims, session)(result)

    def part_writer(
        self, output_dims: Mapping[str, tuple[str, ...]], session: int = 1
    ) -> PartWriter:
        """What stores a batch in this folder's ``parts/``, sent to the workers.

        Parameters
        ----------
        output_dims
            Field dims of every output.
        session
            The launcher session's number (:meth:`next_session`).

        Returns
        -------
        PartWriter
        """
        return PartWriter(self.parts.absolute(), dict(output_dims), session)

    def collect(
        self, size: int, coords: Mapping[str, Mapping[str, Any]]
    ) -> tuple[xr.Dataset, list[Failure]]:
        """Write ``results.nc`` as a virtual dataset over the stored batches (a few kB:
        the data stay in ``parts/``; NaN where failed or missing), write
        ``failures.json``, and return both.

        Parameters
        ----------
        size
            Samples of the design.
        coords
            Declared coordinates of each output's field dims.

        Returns
        -------
        tuple
            The results (opened lazily from disk) and the failures still standing.
        """
        _, failures, shapes, stored = self._scan(size)
        # An output that never succeeded takes its shape from its declared coords.
        for name, dim_coords in coords.items():
            shapes.setdefault(name, {d: len(v) for d, v in dim_coords.items()})
        atomic_write(
            self.directory / "results.nc",
            lambda path: write_virtual_results(path, size, shapes, coords, stored),
        )
        write_json(self.directory / "failures.json", [dataclasses.asdict(f) for f in failures])
        return xr.open_dataset(self.directory / "results.nc", engine=ENGINE), failures

    def write_analyses(self, analyses: xr.DataTree, indices: Mapping[str, Any]) -> None:
        """Store every analysis (the tree of :func:`uqscale.analysis.run_all.analyze_all`,
        a netCDF group per ``label/output``) and indices.json.

        Parameters
        ----------
        analyses
            The analyses.
        indices
            The machine-readable summary.
        """
        write_netcdf(self.directory / "analyses.nc", analyses)
        write_json(self.directory / "indices.json", indices)

    def update_provenance(self, changes: Mapping[str, Any], remove: tuple[str, ...] = ()) -> None:
        """Merge ``changes`` into provenance.json and drop the keys ``remove``.

        Parameters
        ----------
        changes
            Keys to set.
        remove
            Keys to drop.
        """
        record = self.provenance() | dict(changes)
        write_json(
            self.directory / "provenance.json", {k: v for k, v in record.items() if k not in remove}
        )


@dataclasses.dataclass
class StoredBatch(BatchResult):
    """A batch already stored in ``parts/`` (by the worker that ran it): only its
    receipt travels back, never its outputs (``outputs`` is empty)."""

    part: str = ""
    """The part file's name in ``parts/``."""
    receipt: str = ""
    """``SIZE SHA256`` of the part file, as in its receipt."""
    began: float = 0.0
    """The worker's clock (``time.time``) when its task began ..."""
    ended: float = 0.0
    """... and when the part was stored: what the batch cost beyond the model's
    ``seconds`` on the worker (0 and 0: not timed)."""
    slot: str = ""
    """The worker thread that ran it (host, process, thread): the wait between two
    batches of one thread is what scheduling them cost."""

    @property
    def size(self) -> int:
        """Bytes of the part file."""
        return int(self.receipt.split()[0])


@dataclasses.dataclass(frozen=True)
class PartWriter:
    """Stores a batch as one part file of ``parts`` and returns its receipt: called on
    the worker that ran the batch (the run folder is on a file system it shares), so
    a batch's outputs never pass through the launcher. Each part is written once,
    receipt first, durably (:func:`atomic_write`).

    Parameters
    ----------
    parts
        The run folder's ``parts/`` (an absolute path the workers see).
    output_dims
        Field dims of every output.
    session
        The launcher session whose batches these are.
    """

    parts: Path
    output_dims: Mapping[str, tuple[str, ...]]
    session: int = 1

    def __call__(self, result: BatchResult) -> StoredBatch:
        if isinstance(result, StoredBatch):
            return result
        # Built in memory (at most a batch, capped in bytes by the runner), so that a
        # full disk is a clean OSError rather than a failure inside the HDF5 library.
        content = part_bytes(result, self.output_dims)
        path = _real_folder(self.parts) / f"s{self.session:03d}-{result.start:010d}.nc"
        written = receipt(content)
        # The receipt first: every part written since has one.
        write_text(path.with_name(path.name + RECEIPT), written)
        write_bytes(path, content)
        return StoredBatch(
            result.start,
            result.stop,
            {},
            result.failures,
            result.seconds,
            result.retried,
            part=path.name,
            receipt=written.strip(),
        )


NOT_A_VARIABLE = "This is a netCDF dimension but not a netCDF variable.%10d"
"""The ``NAME`` of a dimension scale that is a netCDF dimension without a coordinate
variable (netCDF-4's format: the dimension's size right-aligned in 10 characters)."""


def part_bytes(result: BatchResult, output_dims: Mapping[str, tuple[str, ...]]) -> bytes:
    """A batch as the bytes of its part file: a netCDF-4 file (what
    ``xarray.open_dataset`` reads) of its outputs over ``sample``, its failures (JSON)
    and model seconds as attributes, each field chunked a point of its first dim at a
    time (analyses read a field a few points at a time).

    Written with h5py in netCDF-4's layout (dimensions as HDF5 dimension scales with
    their ``_Netcdf4Dimid``, variables attached to them), not through h5netcdf or
    xarray: a part is written by every batch on the worker that ran it, and h5netcdf's
    bookkeeping (some 1,600 h5py calls for a two-variable file) made a small part cost
    five times the processor time and hold the GIL, so that the threads of one worker
    process queued behind each other's parts. ``tests/test_store_parts.py`` checks
    that xarray reads it exactly as it reads h5netcdf's file of the same batch.

    Parameters
    ----------
    result
        What the part holds: outputs, failures, model seconds.
    output_dims
        Dims after ``sample`` of each output, as the study declares them.

    Returns
    -------
    bytes
        The file.
    """
    import io

    import h5py

    rows = result.stop - result.start
    buffer = io.BytesIO()
    # In creation order, as netCDF-4 (and h5netcdf) keep a file's dims and variables.
    with h5py.File(buffer, "w", track_order=True) as part:
        part.attrs["_NCProperties"] = np.bytes_(
            f"version=2,h5py={h5py.version.version},hdf5={h5py.version.hdf5_version}"
        )
        sample = part.create_dataset("sample", data=np.arange(result.start, result.stop))
        sample.make_scale("sample")
        scales = {"sample": sample}
        for name, values in result.outputs.items():
            for dim, size in zip(output_dims[name], np.shape(values)[1:], strict=True):
                if dim not in scales:
                    scales[dim] = part.create_dataset(dim, shape=(size,), dtype=">f4")
                    scales[dim].make_scale(NOT_A_VARIABLE % size)
        for dimid, scale in enumerate(scales.values()):
            scale.attrs["_Netcdf4Dimid"] = np.int32(dimid)
        sample.attrs["_Netcdf4Coordinates"] = np.zeros(1, "i4")
        for name, values in result.outputs.items():
            array = np.asarray(values)
            chunks = None
            if array.ndim > 1 and rows:
                chunks = (min(rows, PART_CHUNK_ROWS), 1, *array.shape[2:])
            variable = part.create_dataset(name, data=array, chunks=chunks)
            dims = ("sample", *output_dims[name])
            for axis, dim in enumerate(dims):
                variable.dims[axis].attach_scale(scales[dim])
            dimids = [list(scales).index(dim) for dim in dims]
            variable.attrs["_Netcdf4Coordinates"] = np.array(dimids, "i4")
        part.attrs["failures"] = json.dumps([dataclasses.asdict(f) for f in result.failures])
        part.attrs["seconds"] = result.seconds
    return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class StoredPart:
    """Where a stored batch is: its file, its samples ``[start, stop)``, its outputs."""

    path: Path
    start: int
    stop: int
    names: tuple[str, ...]


def _part_index(
    path: Path, shapes: dict[str, dict[str, int]]
) -> tuple[np.ndarray, list[Failure], tuple[str, ...]]:
    """What :meth:`RunStore._scan` needs of one part file, read with h5py: its samples,
    its failures and its outputs' names; the field dims and sizes of an output not yet in
    ``shapes`` are added to it.

    Opening a part with xarray decodes every variable's metadata (some 70 ms a part; a
    run of 750 parts spent close to a minute in its scan); this reads only what the index
    needs (a few ms), from the netCDF-4 layout :func:`part_bytes` writes: outputs are the datasets
    that are not dimension scales, their dims the scales their ``DIMENSION_LIST`` names.

    Parameters
    ----------
    path
        A part file written by :class:`PartWriter` (or :meth:`RunStore.write_batch`).
    shapes
        Field dims and sizes by output, filled in place.

    Returns
    -------
    tuple
        The part's sample numbers, its recorded failures and its outputs' names.
    """
    import h5py

    with h5py.File(path, "r") as part:
        samples = np.asarray(part["sample"][()])
        recorded = [Failure(**f) for f in json.loads(part.attrs["failures"])]
        outputs = [
            (name, dataset)
            for name, dataset in part.items()
            if dataset.attrs.get("CLASS") != b"DIMENSION_SCALE"
        ]
        for name, dataset in outputs:
            if name not in shapes:
                dims = [part[ref].name.lstrip("/") for (ref,) in dataset.attrs["DIMENSION_LIST"]]
                shapes[name] = dict(zip(dims[1:], dataset.shape[1:], strict=True))
    return samples, recorded, tuple(name for name, _ in outputs)


def write_virtual_results(
    path: Path,
    size: int,
    shapes: Mapping[str, Mapping[str, int]],
    coords: Mapping[str, Mapping[str, Any]],
    stored: list[StoredPart],
) -> None:
    """Write at ``path`` a netCDF file whose outputs are HDF5 virtual datasets over the
    parts (relative links: the folder can be moved or copied whole), NaN where no
    part holds a sample; later parts take precedence over earlier ones.

    Parameters
    ----------
    path
        Where to write (beside the ``parts/`` folder).
    size
        Samples of the design.
    shapes
        Field dims and sizes of every output.
    coords
        Declared coordinate values of the outputs' field dims.
    stored
        The stored parts, oldest first.
    """
    import h5netcdf
    import h5py

    with h5netcdf.File(path, "w") as out:
        out.dimensions = {"sample": size} | {
            d: n for dims in shapes.values() for d, n in dims.items()
        }
        # Compressed: 0, 1, 2 ... of 10^7 samples would be 80 MB of the few kB.
        packed = {"chunks": (min(size, 2**20),), "compression": "gzip", "shuffle": True}
        out.create_variable("sample", ("sample",), "i8", **(packed if size else {}))[:] = np.arange(
            size
        )
        for dim, values in _dimension_coords(coords, shapes).items():
            out.create_variable(dim, (dim,), data=np.asarray(values))
    with h5py.File(path, "a") as out:
        for name, dims in shapes.items():
            field = tuple(dims.values())
            layout = h5py.VirtualLayout(shape=(size, *field), dtype="f8")
            for part, a, b in _holders(stored, name, size):
                source = h5py.VirtualSource(
                    os.path.relpath(part.path, path.parent),
                    name,
                    shape=(part.stop - part.start, *field),
                )
                layout[a:b] = source[a - part.start : b - part.start]
            variable = out.create_virtual_dataset(name, layout, fillvalue=np.nan)
            for axis, dim in enumerate(("sample", *dims)):
                variable.dims[axis].attach_scale(out[dim])


def _holders(
    stored: list[StoredPart], name: str, size: int
) -> Iterator[tuple[StoredPart, int, int]]:
    """The part whose values of output ``name`` count for each range ``[a, b)`` of
    samples (the latest part holding them)."""
    owner = np.full(size, -1, dtype=np.int32)
    for index, part in enumerate(stored):
        if name in part.names:
            owner[part.start : part.stop] = index
    edges = np.flatnonzero(np.diff(owner)) + 1
    for a, b in zip(np.r_[0, edges], np.r_[edges, size], strict=True):
        if size and owner[a] >= 0:
            yield stored[owner[a]], int(a), int(b)


def _dimension_coords(
    coords: Mapping[str, Mapping[str, Any]], shapes: Mapping[str, Mapping[str, int]]
) -> dict[str, Any]:
    """Declared coordinate values per field dimension (integers 0.. when undeclared)."""
    values: dict[str, Any] = {}
    for name, dims in shapes.items():
        for dim, size in dims.items():
            values.setdefault(dim, coords.get(name, {}).get(dim) or range(size))
    return values


def receipt(content: bytes) -> str:
    """The receipt of a part: its size and SHA-256, ``"SIZE HEX\\n"``."""
    return f"{len(content)} {hashlib.sha256(content).hexdigest()}\n"


def check_part(path: Path) -> str | None:
    """What is wrong with a part file, or None: against its receipt when it has one
    (parts written before receipts existed are checked by reading them)."""
    receipt_path = path.with_name(path.name + RECEIPT)
    try:
        if path.is_symlink() or not path.is_file():
            return "not a regular file"
        content = path.read_bytes()
        if receipt_path.is_file() and not receipt_path.is_symlink():
            expected = receipt_path.read_text(encoding="utf-8").split()
            size, digest = receipt(content).split()
            if expected[:1] != [size]:
                return f"{size} bytes where {expected[0] if expected else '?'} were written"
            if expected[1:2] != [digest]:
                return "its checksum differs from the one recorded when it was written"
            return None
        _part_index(path, {})  # reading what the scan reads is the check (with h5py:
        # h5netcdf's reader raises again from its destructor on a garbled file)
    except Exception as error:  # any failure to read says the same: damaged
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return None


def _real_folder(path: Path) -> Path:
    """``path`` as an existing real folder (created if missing), never a link."""
    if path.is_symlink():
        raise UqscaleError(
            f"{path}: is a symbolic link; uqscale never writes through one "
            f"in a run folder: remove it"
        )
    path.mkdir(exist_ok=True)
    return path
