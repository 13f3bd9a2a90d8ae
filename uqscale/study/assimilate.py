"""The ``assimilate:`` block of a study: which observations keep the model in step.

File form::

    assimilate:
      observations: data/patient.csv     # columns time, quantity, value, error_sd
      observe:                           # observed quantity -> model output
        plasma: {output: plasma_conc}    # a field output: read at the observed time
        biomarker: biomarker             # short form: the output's name
      update: inputs                     # parameter estimation
      method: etkf                       # enkf | etkf | letkf
      inflation: 1.02
      members: 40
      spinup: 2                          # cycles left out of rmse_mean, spread_mean
      truth: {clearance: 5.0, ...}       # optional: the true inputs (synthetic twins)
      state:                             # update: state or both: a carried state
        output: x                        # the step's field output that is the state
        start: 0.0
        initial: {mean: 0.0, sd: 1.0}    # mean: a number or one per state variable
        periodic: true                   # a ring (distances and interpolation wrap)
        truth: data/truth.csv            # optional: time, coordinate, value

The observations file is CSV (a header row) or netCDF (variables along one
dimension), with the columns ``time``, ``quantity``, ``value`` and ``error_sd``; each
distinct time is one assimilation cycle; observations of a state add a ``coordinate``
column (where along the state they read it). Every mistake is a
:class:`~uqscale.errors.StudyError` naming the field (docs/assimilation.md).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    from uqscale.study.model import Study

BLOCK = "assimilate"
METHODS = ("enkf", "etkf", "letkf")
UPDATES = ("inputs", "state", "both")
"""What the filter updates: ``inputs`` estimates the uncertain inputs (parameters);
``state`` the model state carried between cycles (``assimilate.state``); ``both``
the two together."""
CARRIED = ("state", "both")
"""The updates that carry a state between cycles."""
KEYS = (
    "observations",
    "observe",
    "update",
    "method",
    "inflation",
    "localisation",
    "members",
    "spinup",
    "truth",
    "state",
)
STATE_KEYS = ("output", "start", "initial", "truth", "periodic")
COLUMNS = ("time", "quantity", "value", "error_sd")
COORDINATE = "coordinate"
"""Optional column: where along a state output the observation is (else its time)."""
SUFFIXES_NETCDF = (".nc", ".nc4", ".netcdf")


@dataclass(frozen=True)
class Observed:
    """An observed quantity: the field output it is read from, at the observed time
    along the output's dimension ``dim`` (its only one)."""

    output: str
    dim: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (one entry of ``observe``)."""
        return {"output": self.output} | ({"dim": self.dim} if self.dim else {})


@dataclass(frozen=True)
class State:
    """A model state carried between cycles (``update: state``).

    ``output`` is a field output of the study's only step, whose function follows the
    step contract ``step(state, start, until, **parameters) -> state``
    (docs/assimilation.md); the members start at ``start`` from
    ``initial_mean + initial_sd * N(0, 1)``. ``truth`` is a CSV file (``time``,
    ``coordinate``, ``value``) of the true state at the cycles' times; ``periodic``:
    distances along the state wrap around (a ring, as Lorenz-96).
    """

    output: str
    initial_mean: float | tuple[float, ...]
    """One mean for every state variable, or one each (a background state)."""
    initial_sd: float
    start: float = 0.0
    truth: str | None = None
    periodic: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``state`` mapping)."""
        entry: dict[str, Any] = {
            "output": self.output,
            "start": self.start,
            "initial": {"mean": _plain(self.initial_mean), "sd": self.initial_sd},
        }
        if self.truth is not None:
            entry["truth"] = self.truth
        if self.periodic:
            entry["periodic"] = True
        return entry


@dataclass(frozen=True)
class Assimilate:
    """The ``assimilate:`` block (each field as in the module docstring).

    ``observe`` maps each observed quantity to an :class:`Observed` or to the name
    of the output. A study checks the block against its outputs and observations
    when it is built (:func:`check_assimilate`).
    """

    observations: str
    observe: Mapping[str, Observed | str]
    update: str = "inputs"
    method: str = "etkf"
    inflation: float = 1.0
    localisation: float | None = None
    members: int = 40
    spinup: int = 0
    truth: Mapping[str, float] = field(default_factory=dict)
    state: State | None = None

    def __post_init__(self) -> None:
        observe = {
            str(k): Observed(v) if isinstance(v, str) else v for k, v in self.observe.items()
        }
        object.__setattr__(self, "observe", observe)
        object.__setattr__(self, "truth", dict(self.truth))

    def observed(self, quantity: str) -> Observed:
        """The output ``quantity`` is read from."""
        item = self.observe[quantity]
        assert isinstance(item, Observed), "__post_init__ made every entry an Observed"
        return item

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``assimilate`` mapping)."""
        entry: dict[str, Any] = {
            "observations": self.observations,
            "observe": {k: self.observed(k).to_dict() for k in self.observe},
            "update": self.update,
            "method": self.method,
            "inflation": self.inflation,
            "members": self.members,
            "spinup": self.spinup,
        }
        if self.localisation is not None:
            entry["localisation"] = self.localisation
        if self.truth:
            entry["truth"] = dict(self.truth)
        if self.state is not None:
            entry["state"] = self.state.to_dict()
        return entry


@dataclass(frozen=True)
class Observations:
    """Observations, one row each: ``time``, ``quantity``, ``value``, ``error_sd``,
    sorted by time (stable: rows of one time keep the file's order)."""

    time: np.ndarray
    quantity: np.ndarray
    value: np.ndarray
    error_sd: np.ndarray
    coordinate: np.ndarray | None = None
    """Where along its output each observation is (None: at its time)."""

    def position(self, row: int) -> float:
        """Where row ``row`` reads its output: its coordinate, else its time."""
        where = self.time if self.coordinate is None else self.coordinate
        return float(where[row])

    @property
    def times(self) -> np.ndarray:
        """The distinct observation times in increasing order: one cycle each."""
        return np.unique(self.time)

    def at(self, time: float) -> np.ndarray:
        """Indices of the rows observed at ``time``."""
        return np.flatnonzero(self.time == time)


def parse_assimilate(value: Any) -> Assimilate:
    """Read the file form of the block, checking each field's type and range.

    Raises
    ------
    StudyError
        Naming the first field that is wrong.
    """
    entry = fields.mapping(value, BLOCK)
    fields.check_keys(entry, BLOCK, KEYS, required=("observations", "observe"))
    observe = {}
    for name, item in fields.mapping(entry["observe"], f"{BLOCK}.observe").items():
        path = f"{BLOCK}.observe.{name}"
        item = {"output": item} if isinstance(item, str) else fields.mapping(item, path)
        fields.check_keys(item, path, ("output", "dim"), required=("output",))
        dim = item.get("dim")
        observe[str(name)] = Observed(
            fields.identifier(item["output"], f"{path}.output"),
            None if dim is None else fields.identifier(dim, f"{path}.dim"),
        )
    if not observe:
        raise StudyError(f"{BLOCK}.observe", "must map at least one observed quantity")
    update = fields.choice(entry.get("update", "inputs"), f"{BLOCK}.update", UPDATES)
    state = _state(entry.get("state"), update)
    return Assimilate(
        observations=fields.string(entry["observations"], f"{BLOCK}.observations"),
        observe=observe,
        update=update,
        method=fields.choice(entry.get("method", "etkf"), f"{BLOCK}.method", METHODS),
        inflation=_at_least(entry, "inflation", 1.0),
        localisation=_localisation(entry.get("localisation"), update),
        members=fields.integer(entry.get("members", 40), f"{BLOCK}.members", 3),
        spinup=fields.integer(entry.get("spinup", 0), f"{BLOCK}.spinup", 0),
        truth={
            str(k): fields.number(v, f"{BLOCK}.truth.{k}")
            for k, v in fields.mapping(entry.get("truth") or {}, f"{BLOCK}.truth").items()
        },
        state=state,
    )


def _state(value: Any, update: str) -> State | None:
    where = f"{BLOCK}.state"
    if update not in CARRIED:
        if value is not None:
            raise StudyError(where, f"is only read with update: state or both (got {update})")
        return None
    if value is None:
        raise StudyError(where, f"update: {update} needs it (output, start, initial)")
    entry = fields.mapping(value, where)
    fields.check_keys(entry, where, STATE_KEYS, required=("output", "initial"))
    initial = fields.mapping(entry["initial"], f"{where}.initial")
    fields.check_keys(initial, f"{where}.initial", ("mean", "sd"), required=("mean", "sd"))
    sd = fields.number(initial["sd"], f"{where}.initial.sd")
    if sd <= 0:
        raise StudyError(f"{where}.initial.sd", f"must be positive (got {sd:g})")
    truth = entry.get("truth")
    return State(
        output=fields.identifier(entry["output"], f"{where}.output"),
        initial_mean=_initial_mean(initial["mean"], f"{where}.initial.mean"),
        initial_sd=sd,
        start=fields.number(entry.get("start", 0.0), f"{where}.start"),
        truth=None if truth is None else fields.string(truth, f"{where}.truth"),
        periodic=fields.boolean(entry.get("periodic", False), f"{where}.periodic"),
    )


def _plain(mean: float | tuple[float, ...]) -> float | list[float]:
    """The file form of an initial mean (a list for one mean per variable)."""
    return list(mean) if isinstance(mean, tuple) else mean


def _initial_mean(value: Any, where: str) -> float | tuple[float, ...]:
    """A number, or a list of numbers (one per state variable)."""
    if isinstance(value, (list, tuple)):
        return tuple(fields.number(v, f"{where}[{i}]") for i, v in enumerate(value))
    return fields.number(value, where)


def _at_least(entry: Mapping[str, Any], key: str, minimum: float) -> float:
    value = fields.number(entry.get(key, minimum), f"{BLOCK}.{key}")
    if value < minimum:
        raise StudyError(f"{BLOCK}.{key}", f"must be at least {minimum:g} (got {value:g})")
    return value


def _localisation(value: Any, update: str) -> float | None:
    if value is None:
        return None
    radius = fields.number(value, f"{BLOCK}.localisation")
    if radius <= 0:
        raise StudyError(f"{BLOCK}.localisation", f"must be positive (got {radius:g})")
    # Localisation tapers by the distance between state variables and observations:
    # uncertain inputs have no position, so only a spatial state can use it.
    if update not in CARRIED:
        raise StudyError(f"{BLOCK}.localisation", "needs a spatial state; update: inputs has none")
    return radius


def read_observations(path: Path) -> Observations:
    """Read an observations file (CSV with a header row, or netCDF).

    Parameters
    ----------
    path
        The file; a netCDF file by its suffix (``.nc``), else CSV.

    Returns
    -------
    Observations
        Its rows, sorted by time.

    Raises
    ------
    StudyError
        Naming ``assimilate.observations`` when the file is missing, unreadable,
        lacks a column, or holds a non-finite value or a non-positive error.
    """
    where = f"{BLOCK}.observations"
    if not path.is_file():
        raise StudyError(where, f"no such file: {path}")
    try:
        if path.suffix.lower() in SUFFIXES_NETCDF:
            import xarray as xr

            with xr.open_dataset(path) as data:
                table = {c: data[c].values for c in (*COLUMNS, COORDINATE) if c in data}
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle, skipinitialspace=True)
                records = list(reader)
            header = reader.fieldnames or ()
            table = {
                c: np.array([r[c] for r in records]) for c in (*COLUMNS, COORDINATE) if c in header
            }
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as error:
        raise StudyError(where, f"cannot read {path}: {error}") from None
    missing = [c for c in COLUMNS if c not in table]
    if missing:
        raise StudyError(where, f"{path.name} lacks the column {missing[0]!r}")
    if not len(table["time"]):
        raise StudyError(where, f"{path.name} holds no observation")
    try:
        numeric = ("time", "value", "error_sd", COORDINATE)
        numbers = {c: np.asarray(table[c], dtype=float) for c in numeric if c in table}
    except ValueError as error:
        raise StudyError(where, f"{path.name}: {error}") from None
    for column, values in numbers.items():
        if not np.all(np.isfinite(values)):
            row = int(np.flatnonzero(~np.isfinite(values))[0])
            raise StudyError(where, f"{path.name} row {row + 1}: {column} is not finite")
    if np.any(numbers["error_sd"] <= 0):
        row = int(np.flatnonzero(numbers["error_sd"] <= 0)[0])
        raise StudyError(where, f"{path.name} row {row + 1}: error_sd must be positive")
    quantity = np.asarray([str(q) for q in table["quantity"]])
    order = np.argsort(numbers["time"], kind="stable")
    coordinate = numbers.get(COORDINATE)
    return Observations(
        numbers["time"][order],
        quantity[order],
        numbers["value"][order],
        numbers["error_sd"][order],
        None if coordinate is None else coordinate[order],
    )


def check_assimilate(study: Study) -> Observations:
    """Check the block against its study and read its observations.

    Every observed quantity maps to a known field output over one dimension with
    coordinates; every observation names a mapped quantity at a time inside that
    output's coordinates; the updated inputs are continuous; the truth gives every
    uncertain input; the spin-up leaves a cycle.

    Parameters
    ----------
    study
        A :class:`~uqscale.study.model.Study` with an ``assimilate`` block.

    Returns
    -------
    Observations

    Raises
    ------
    StudyError
        Naming the field at fault.
    """
    block = study.assimilate
    assert block is not None, "only a study with an assimilate block is checked"
    parse_assimilate(block.to_dict())  # the Python API's blocks get the file's checks
    outputs = {o.name: o for o in study.outputs}
    for name in block.observe:
        observed, path = block.observed(name), f"{BLOCK}.observe.{name}"
        spec = outputs.get(observed.output)
        if spec is None:
            raise StudyError(f"{path}.output", f"unknown output {observed.output!r}")
        if len(spec.dims) != 1 or (observed.dim not in (None, spec.dims[0])):
            raise StudyError(
                f"{path}.output", f"{observed.output} must be a field over one dimension"
            )
        if spec.dims[0] not in spec.coords:
            raise StudyError(f"{path}.output", f"{observed.output} declares no coordinates")
    _check_inputs(study, block)
    observations = read_observations(Path(study.base_dir or ".") / block.observations)
    rows = zip(observations.time, observations.quantity, strict=True)
    for row, (time, quantity) in enumerate(rows):
        if quantity not in block.observe:
            raise StudyError(
                f"{BLOCK}.observations",
                f"the quantity {str(quantity)!r} (time {time:g}) is not in observe",
            )
        spec = outputs[block.observed(quantity).output]
        coords = np.asarray(spec.coords[spec.dims[0]], dtype=float)
        where = time if observations.coordinate is None else observations.coordinate[row]
        if not coords.min() <= where <= coords.max():
            what = "time" if observations.coordinate is None else "coordinate"
            raise StudyError(
                f"{BLOCK}.observations",
                f"{what} {where:g} is outside the model's range "
                f"[{coords.min():g}, {coords.max():g}] of {spec.name}",
            )
    if block.state is not None:
        _check_state(study, block.state, observations)
    cycles = len(observations.times)
    if block.spinup >= cycles:
        raise StudyError(
            f"{BLOCK}.spinup", f"must be less than the {cycles} cycles (got {block.spinup})"
        )
    return observations


def _check_state(study: Study, state: State, observations: Observations) -> None:
    """A carried state is a field output of the study's only step, observed at
    coordinates along it, after its start."""
    where = f"{BLOCK}.state"
    if len(study.models) != 1:
        raise StudyError(f"{where}.output", "a carried state needs a study of one step")
    spec = {o.name: o for o in study.outputs}.get(state.output)
    if spec is None:
        raise StudyError(f"{where}.output", f"unknown output {state.output!r}")
    if len(spec.dims) != 1 or spec.dims[0] not in spec.coords:
        raise StudyError(f"{where}.output", f"{state.output} must be a field with coordinates")
    size = len(spec.coords[spec.dims[0]])
    if isinstance(state.initial_mean, tuple) and len(state.initial_mean) != size:
        raise StudyError(
            f"{where}.initial.mean",
            f"gives {len(state.initial_mean)} means for the {size} variables of {spec.name}",
        )
    block = study.assimilate
    assert block is not None, "a state is part of an assimilate block"
    for name in block.observe:
        if block.observed(name).output != state.output:
            raise StudyError(
                f"{BLOCK}.observe.{name}.output",
                f"a carried state is observed through itself: must be {state.output}",
            )
    if observations.coordinate is None:
        raise StudyError(f"{BLOCK}.observations", f"a state is observed at a {COORDINATE!r} column")
    if state.truth is not None:
        coords = np.asarray(spec.coords[spec.dims[0]], dtype=float)
        read_state_truth(Path(study.base_dir or ".") / state.truth, coords, observations.times)
    if observations.time.min() <= state.start:
        raise StudyError(
            f"{BLOCK}.observations",
            f"time {observations.time.min():g} is not after the state's start {state.start:g}",
        )


def read_state_truth(path: Path, coords: np.ndarray, times: np.ndarray) -> dict[float, np.ndarray]:
    """Read the true state (``assimilate.state.truth``: CSV ``time``, ``coordinate``,
    ``value``) at each cycle's time.

    Parameters
    ----------
    path
        The CSV file.
    coords
        The state variables' coordinates.
    times
        The cycles' times: the file gives the whole state at each.

    Returns
    -------
    dict
        The true state ``(n,)`` by time, ordered as ``coords``.

    Raises
    ------
    StudyError
        Naming ``assimilate.state.truth`` when the file is missing or unreadable, or
        lacks a variable at a cycle's time.
    """
    where = f"{BLOCK}.state.truth"
    if not path.is_file():
        raise StudyError(where, f"no such file: {path}")
    position = {float(c): i for i, c in enumerate(coords)}
    truth: dict[float, np.ndarray] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, skipinitialspace=True):
                state = truth.setdefault(float(row["time"]), np.full(len(coords), np.nan))
                state[position[float(row["coordinate"])]] = float(row["value"])
    except KeyError as error:
        raise StudyError(where, f"{path.name}: no column or coordinate {error}") from None
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as error:
        raise StudyError(where, f"cannot read {path}: {error}") from None
    for time in times:
        found = truth.get(float(time))
        if found is None or not np.all(np.isfinite(found)):
            raise StudyError(where, f"{path.name} lacks the state at time {time:g}")
    return truth


def _check_inputs(study: Study, block: Assimilate) -> None:
    """The updated inputs are continuous; a declared truth names each of them."""
    from uqscale.distributions import FAMILIES

    for item in study.inputs:
        if FAMILIES[item.distribution].discrete:
            raise StudyError(
                f"{BLOCK}.update", f"input {item.name} is discrete; only continuous ones update"
            )
    for name in block.truth:
        if name not in study.input_names:
            raise StudyError(f"{BLOCK}.truth.{name}", "is not an uncertain input")
    if block.truth and block.state is not None:
        raise StudyError(f"{BLOCK}.truth", "gives inputs; a state's truth is state.truth")
    missing = [n for n in study.input_names if n not in block.truth]
    if block.truth and missing:
        raise StudyError(f"{BLOCK}.truth", f"lacks the input {missing[0]}")
