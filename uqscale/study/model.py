"""The study object model: typed, validated, and equal to its file form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from uqscale.study.assimilate import Assimilate, check_assimilate
from uqscale.study.correlation import Correlation
from uqscale.study.resolution import Resolution
from uqscale.study.umbridge import UmbridgeModel
from uqscale.study.verification import VerificationCase

NONFINITE_POLICIES = ("fail", "keep")
RESULT_FORMATS = ("json", "csv")
RESULT_SUFFIXES = {".json": "json", ".csv": "csv"}
WORKDIR_POLICIES = ("keep_failed", "keep", "remove")


def _copy(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    # A private copy, so a study cannot change after validation through a caller's dict.
    return dict(mapping or {})


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


def _parameter(value: Any) -> Any:
    """A distribution parameter: a float, or a tuple for a list (h19, issue 19.3)."""
    return tuple(value) if isinstance(value, list | tuple) else float(value)


@dataclass(frozen=True)
class UncertainInput:
    """An uncertain input: a named distribution, its scale and units.

    Examples
    --------
    >>> kcat = UncertainInput("kcat", "lognormal", {"mu": 0.0, "sigma": 0.3}, scale="micro")
    >>> kcat.to_dict()
    {'distribution': 'lognormal', 'mu': 0.0, 'sigma': 0.3, 'scale': 'micro'}
    """

    name: str
    distribution: str
    params: Mapping[str, Any]  # h19: float, or a tuple (categorical)
    scale: str | None = None
    units: str | None = None

    def __post_init__(self) -> None:
        # h19 (issue 19.3): a categorical's values and probabilities are lists, kept as tuples.
        _set(self, "params", _copy({k: _parameter(v) for k, v in self.params.items()}))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the mapping under ``inputs.NAME``)."""
        entry: dict[str, Any] = {"distribution": self.distribution}
        entry.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()})
        entry.update({k: v for k, v in (("scale", self.scale), ("units", self.units)) if v})
        return entry


@dataclass(frozen=True)
class OutputSpec:
    """A model output: a scalar, or a field over named dimensions with coordinates."""

    name: str
    dims: tuple[str, ...] = ()
    coords: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _set(self, "dims", tuple(self.dims))
        _set(self, "coords", _copy({k: tuple(v) for k, v in self.coords.items()}))

    def to_dict(self) -> str | dict[str, Any]:
        """Return the file form: the bare name for a scalar output."""
        if not self.dims:
            return self.name
        entry: dict[str, Any] = {"name": self.name, "dims": list(self.dims)}
        if self.coords:
            entry["coords"] = {k: list(v) for k, v in self.coords.items()}
        return entry


@dataclass(frozen=True)
class ResultsFile:
    """The file a command step writes its outputs to, relative to its work directory.

    ``format`` is ``"json"`` (an object mapping output names to numbers or nested
    lists) or ``"csv"`` (a header row of output names; a scalar output takes one row, a
    field output its whole column). Left out, it follows the file's suffix.

    Examples
    --------
    >>> ResultsFile("out.csv")
    ResultsFile(file='out.csv', format='csv')
    """

    file: str
    format: str | None = None

    def __post_init__(self) -> None:
        if self.format is None and isinstance(self.file, str):
            _set(self, "format", RESULT_SUFFIXES.get(Path(self.file).suffix.lower()))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``results`` mapping of a step)."""
        return {"file": self.file, "format": self.format}


@dataclass(frozen=True)
class ModelStep:
    """One step of the model graph, fed by inputs and parameters.

    A step runs a Python callable (``python: "module:function"``), an external
    program (``command: [program, arg, ...]``) or a model on a UM-Bridge server
    (``umbridge: {url: ..., name: ...}``): exactly one of them.

    Parameters
    ----------
    name
        The step's name, unique in the study.
    python
        ``"module:function"`` called with the inputs and parameters as keywords; or
        the callable itself (a function, closure, lambda or callable object), shipped
        to the workers as Dask ships functions (cloudpickle). A study with such a step
        runs and is stored, but cannot be saved as a study file.
    inputs, outputs
        Names the step reads (study inputs or other steps' outputs) and produces.
    parameters
        Fixed keyword arguments (Python) or template variables (command).
    vectorized
        Python steps only: call once per batch with arrays.
    command
        Program and arguments, run without a shell once per sample in a fresh work
        directory; ``$name`` in an argument is replaced like in ``files``.
    files
        ``{target: template}``: each template (a path relative to the study folder) is
        rendered into ``target`` inside the work directory with :class:`string.Template`
        (``$name`` / ``${name}`` for an input or parameter, ``$$`` for a dollar sign).
    results
        The file the program writes its outputs to; or give ``parser``.
    parser
        ``"module:function"`` called with the work directory, returning a mapping from
        output name to value.
    timeout
        Seconds a sample may run before its process group is killed (no limit if None);
        for an umbridge step, seconds to wait for the server's answer.
    workdirs
        ``keep_failed`` (default), ``keep`` or ``remove``: which work directories stay.
    umbridge
        The UM-Bridge server and model that evaluate this step (see docs/umbridge.md):
        the inputs, in order, fill the model's input vectors; output vector k is output
        k; the parameters travel as the ``config`` of each request.

    Examples
    --------
    >>> heat = ModelStep("macro", command=("./heat", "params.txt"), inputs=["D"],
    ...                  outputs=["u_mid"], files={"params.txt": "heat.in"},
    ...                  results=ResultsFile("out.json"), timeout=60)
    >>> heat.kind, heat.to_dict()["results"]
    ('command', {'file': 'out.json', 'format': 'json'})
    """

    name: str
    python: str | Callable[..., Any] | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    vectorized: bool = False
    command: tuple[str, ...] | None = field(default=None, kw_only=True)
    files: Mapping[str, str] = field(default_factory=dict, kw_only=True)
    results: ResultsFile | None = field(default=None, kw_only=True)
    parser: str | None = field(default=None, kw_only=True)
    timeout: float | None = field(default=None, kw_only=True)
    workdirs: str = field(default="keep_failed", kw_only=True)
    resources: Mapping[str, float] = field(default_factory=dict, kw_only=True)
    umbridge: UmbridgeModel | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _set(self, "inputs", tuple(self.inputs))
        _set(
            self,
            "outputs",
            tuple(o if isinstance(o, OutputSpec) else OutputSpec(o) for o in self.outputs),
        )
        _set(self, "parameters", _copy(self.parameters))
        if isinstance(self.command, list | tuple):
            _set(self, "command", tuple(self.command))
        if isinstance(self.files, Mapping):
            _set(self, "files", _copy(self.files))
        if isinstance(self.resources, Mapping):
            _set(self, "resources", _copy(self.resources))
        if isinstance(self.timeout, int | float) and not isinstance(self.timeout, bool):
            _set(self, "timeout", float(self.timeout))

    @property
    def kind(self) -> str:
        """``"command"`` for an external program, ``"umbridge"`` for a served model,
        else ``"python"``."""
        if self.umbridge is not None:
            return "umbridge"
        return "python" if self.command is None else "command"

    @property
    def python_name(self) -> str | None:
        """``python`` as a study file names it: ``module:function`` (for a callable,
        where it was defined: a record of the run, not something to import)."""
        from uqscale.models.loading import callable_name

        return callable_name(self.python) if callable(self.python) else self.python

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the step's outputs, in declared order."""
        return tuple(o.name for o in self.outputs)

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (one entry of ``models``)."""
        entry: dict[str, Any] = {"name": self.name}
        if self.umbridge is not None:
            entry["umbridge"] = self.umbridge.to_dict()
        elif self.command is None:
            entry["python"] = self.python_name
        else:
            entry["command"] = list(self.command)
        entry["inputs"] = list(self.inputs)
        entry["outputs"] = [o.to_dict() for o in self.outputs]
        if self.parameters:
            entry["parameters"] = dict(self.parameters)
        if self.vectorized:
            entry["vectorized"] = True
        if self.resources:
            entry["resources"] = dict(self.resources)
        return entry | self._command_dict()

    def _command_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        if self.files:
            entry["files"] = dict(self.files)
        if self.results is not None:
            entry["results"] = self.results.to_dict()
        optional = (
            ("parser", self.parser, None),
            ("timeout", self.timeout, None),
            ("workdirs", self.workdirs, "keep_failed"),
        )
        entry.update({key: value for key, value, default in optional if value != default})
        return entry


@dataclass(frozen=True, init=False)
class Analysis:
    """One analysis: a method, its options (defaults filled in) and its result label.

    Options come as a mapping, as keywords, or both (keywords win).

    Examples
    --------
    >>> Analysis("sobol", n=64) == Analysis("sobol", {"n": 64})
    True
    """

    method: str
    options: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __init__(
        self,
        method: str,
        options: Mapping[str, Any] | None = None,
        label: str = "",
        **keywords: Any,
    ) -> None:
        _set(self, "method", method)
        _set(self, "options", _copy(options) | keywords)
        _set(self, "label", label or method)

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (one entry of ``analysis``), only non-null options."""
        entry: dict[str, Any] = {"method": self.method}
        if self.label != self.method:
            entry["label"] = self.label
        for key, value in self.options.items():
            if value is not None:
                entry[key] = list(value) if isinstance(value, tuple) else value
        return entry


@dataclass(frozen=True)
class Execution:
    """Where and how the ensemble runs."""

    cluster: str = "local"
    workers: int = 2
    batch_size: int | None = None
    retries: int = 0
    nonfinite: str = "fail"
    timeout: float | None = None
    address: str | None = None
    scheduler_file: str | None = None
    profile: str | None = None
    jobs: int = 2
    minimum_jobs: int | None = None
    maximum_jobs: int | None = None
    jobqueue: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=dict)
    # h15 (issue 15.2): stop at once when the first samples all fail alike.
    fail_fast: bool = True

    def __post_init__(self) -> None:
        _set(self, "jobqueue", _copy(self.jobqueue))
        _set(self, "resources", _copy(self.resources))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``execution`` mapping), without empty entries."""
        return {
            k: (dict(v) if isinstance(v, Mapping) else v)
            for k, v in self.__dict__.items()
            if v is not None and v != {}
        }


@dataclass(frozen=True)
class Output:
    """Where a run's folder goes (relative paths are taken from the working directory)."""

    directory: str | None = None
    # h15 (issue 13.4): write report.html after a run (``uqscale run --no-report``).
    report: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the file form (the ``output`` mapping)."""
        return ({"directory": self.directory} if self.directory else {}) | (
            {} if self.report else {"report": False}
        )


def _named_inputs(
    inputs: Mapping[str, UncertainInput] | tuple[UncertainInput, ...],
) -> tuple[UncertainInput, ...]:
    """The inputs as a tuple; a mapping's values take their key as their name."""
    if isinstance(inputs, Mapping):
        return tuple(
            replace(value, name=key) if isinstance(value, UncertainInput) else value
            for key, value in inputs.items()
        )
    return tuple(inputs)


@dataclass(frozen=True)
class Study:
    """A whole study: uncertain inputs, the model graph, analyses, execution, output.

    Build one from a file with :func:`uqscale.load_study`, from a mapping with
    :meth:`from_dict`, or directly; construction validates the whole study and
    raises :class:`uqscale.StudyError` naming the field at fault. ``inputs`` may be a
    mapping from name to an unnamed input (``{"x": uqscale.Uniform(0, 1)}``).
    """

    name: str
    inputs: tuple[UncertainInput, ...]
    models: tuple[ModelStep, ...]
    analysis: tuple[Analysis, ...] = ()
    description: str = ""
    seed: int = 0
    execution: Execution = field(default_factory=Execution)
    output: Output = field(default_factory=Output)
    verification: tuple[VerificationCase, ...] = ()
    resolution: Resolution | None = None
    correlation: Correlation | None = None
    # h20 (issue 20.1): the data-assimilation block (uqscale.study.assimilate).
    assimilate: Assimilate | None = None
    base_dir: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        from uqscale.study.validate import validate_study

        _set(self, "inputs", _named_inputs(self.inputs))
        _set(self, "models", tuple(self.models))
        # Copies: validation fills in the options' defaults, never in the caller's objects.
        _set(self, "analysis", tuple(replace(a) for a in self.analysis))
        _set(self, "verification", tuple(self.verification))
        validate_study(self)
        if self.assimilate is not None:  # h20a (issue 20.1): outputs, observations
            check_assimilate(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path | None = None) -> Study:
        """Build a study from its file form, checking every field."""
        from uqscale.study.parse import parse_study

        return parse_study(data, None if base_dir is None else Path(base_dir))

    def to_dict(self) -> dict[str, Any]:
        """Return the file form; :meth:`from_dict` of it gives an equal study."""
        data: dict[str, Any] = {"study": self.name}
        if self.description:
            data["description"] = self.description
        data["seed"] = self.seed
        data["inputs"] = {i.name: i.to_dict() for i in self.inputs}
        data["models"] = [m.to_dict() for m in self.models]
        data["analysis"] = [a.to_dict() for a in self.analysis]
        data["execution"] = self.execution.to_dict()
        if self.output.to_dict():
            data["output"] = self.output.to_dict()
        if self.verification:
            data["verification"] = [c.to_dict() for c in self.verification]
        if self.resolution is not None:
            data["resolution"] = self.resolution.to_dict()
        if self.correlation is not None:
            data["correlation"] = self.correlation.to_dict()
        if self.assimilate is not None:  # h20 (issue 20.1)
            data["assimilate"] = self.assimilate.to_dict()
        return data

    @property
    def input_names(self) -> tuple[str, ...]:
        """Names of the uncertain inputs, in declared order."""
        return tuple(i.name for i in self.inputs)

    @property
    def outputs(self) -> tuple[OutputSpec, ...]:
        """Every output of every step, in step order."""
        return tuple(o for m in self.models for o in m.outputs)

    def replace(self, **changes: Any) -> Study:
        """Return a copy with some fields changed (validated again)."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        values.update(changes)
        return Study(**values)
