"""Reading a study's file form (a mapping, as loaded from YAML) into a Study."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from uqscale.errors import StudyError
from uqscale.study import fields
from uqscale.study.assimilate import BLOCK as ASSIMILATE
from uqscale.study.assimilate import parse_assimilate
from uqscale.study.correlation import parse_correlation
from uqscale.study.model import (
    Analysis,
    Execution,
    ModelStep,
    Output,
    OutputSpec,
    ResultsFile,
    Study,
    UncertainInput,
)
from uqscale.study.resolution import parse_resolution
from uqscale.study.umbridge import read_umbridge
from uqscale.study.verification import read_cases

STUDY_KEYS = (
    "study",
    "description",
    "seed",
    "inputs",
    "models",
    "analysis",
    "execution",
    "output",
    "verification",
    "resolution",
    "correlation",
    ASSIMILATE,  # h20 (issue 20.1)
)
INPUT_META = ("distribution", "scale", "units")
STEP_KEYS = (
    "name",
    "python",
    "command",
    "inputs",
    "outputs",
    "parameters",
    "vectorized",
    "files",
    "results",
    "parser",
    "timeout",
    "workdirs",
    "resources",
    "umbridge",
)
RESULTS_KEYS = ("file", "format")
OUTPUT_KEYS = ("name", "dims", "coords")
EXECUTION_KEYS = (
    "cluster",
    "workers",
    "batch_size",
    "retries",
    "timeout",
    "nonfinite",
    "address",
    "scheduler_file",
    "profile",
    "jobs",
    "minimum_jobs",
    "maximum_jobs",
    "jobqueue",
    "resources",
    "fail_fast",
)


def parse_study(data: Any, base_dir: Path | None = None) -> Study:
    """Check the structure of a study's file form and build the Study.

    Parameters
    ----------
    data
        The mapping loaded from a study file.
    base_dir
        Folder of the study file; models are imported from it first.

    Returns
    -------
    Study
        The study, validated.

    Raises
    ------
    StudyError
        Naming the first field that is wrong.
    """
    data = fields.mapping(data, "")
    fields.check_keys(data, "", STUDY_KEYS, required=("study", "inputs", "models"))
    return Study(
        name=fields.string(data["study"], "study"),
        description=_optional(data, "description", fields.string, ""),
        seed=_optional(data, "seed", lambda v, p: fields.integer(v, p, 0), 0),
        inputs=_inputs(data["inputs"]),
        models=tuple(
            _step(s, f"models[{i}]") for i, s in enumerate(_nonempty(data["models"], "models"))
        ),
        analysis=tuple(
            _analysis(a, f"analysis[{i}]")
            for i, a in enumerate(fields.sequence(data.get("analysis", []), "analysis"))
        ),
        execution=_execution(data.get("execution", {})),
        output=_output(data.get("output", {})),
        verification=read_cases(data.get("verification") or []),
        resolution=(
            parse_resolution(data["resolution"]) if data.get("resolution") is not None else None
        ),
        correlation=(
            parse_correlation(data["correlation"]) if data.get("correlation") is not None else None
        ),
        # h20 (issue 20.1): checked against the outputs and observations when run.
        assimilate=(
            parse_assimilate(data[ASSIMILATE]) if data.get(ASSIMILATE) is not None else None
        ),
        base_dir=base_dir,
    )


def _optional(
    data: Mapping[str, Any], key: str, read: Callable[[Any, str], Any], default: Any, path: str = ""
) -> Any:
    if key not in data or data[key] is None:
        return default
    return read(data[key], fields.join(path, key))


def _nonempty(value: Any, path: str) -> list[Any]:
    items = fields.sequence(value, path)
    if not items:
        raise StudyError(path, "must not be empty")
    return items


def _inputs(value: Any) -> tuple[UncertainInput, ...]:
    result = []
    for name, entry in fields.mapping(value, "inputs").items():
        path = fields.join("inputs", name)
        fields.identifier(name, path)
        entry = fields.mapping(entry, path)
        if "distribution" not in entry:
            raise StudyError(f"{path}.distribution", "is required")
        params = {
            k: _parameter(v, fields.join(path, k)) for k, v in entry.items() if k not in INPUT_META
        }
        result.append(
            UncertainInput(
                name=name,
                distribution=fields.string(entry["distribution"], f"{path}.distribution"),
                params=params,
                scale=_optional(entry, "scale", fields.string, None, path),
                units=_optional(entry, "units", fields.string, None, path),
            )
        )
    if not result:
        raise StudyError("inputs", "must name at least one uncertain input")
    return tuple(result)


def _parameter(value: Any, path: str) -> float | tuple[str | float, ...]:
    """A distribution parameter: a number, or a list of strings and numbers (the
    values and probabilities of a categorical input)."""
    if not isinstance(value, list):
        return fields.number(value, path)
    items: list[str | float] = []
    for k, item in enumerate(value):
        if isinstance(item, str):
            items.append(item)
        else:
            number = fields.number(item, fields.join(path, k))
            items.append(int(number) if isinstance(item, int) else number)
    return tuple(items)


def _step(value: Any, path: str) -> ModelStep:
    entry = fields.mapping(value, path)
    fields.check_keys(entry, path, STEP_KEYS, required=("name", "outputs"))
    if not {"python", "command", "umbridge"} & set(entry):
        raise StudyError(f"{path}.python", "is required")
    inputs = fields.sequence(entry.get("inputs", []), f"{path}.inputs")
    return ModelStep(
        name=fields.identifier(entry["name"], f"{path}.name"),
        python=_optional(entry, "python", fields.string, None, path),
        inputs=tuple(fields.identifier(n, f"{path}.inputs[{k}]") for k, n in enumerate(inputs)),
        outputs=tuple(
            _output_spec(o, f"{path}.outputs[{k}]")
            for k, o in enumerate(_nonempty(entry["outputs"], f"{path}.outputs"))
        ),
        parameters=_optional(entry, "parameters", fields.scalar_parameters, {}, path),
        vectorized=_optional(entry, "vectorized", fields.boolean, False, path),
        command=_optional(entry, "command", fields.argument_list, None, path),
        files=_optional(entry, "files", fields.mapping, {}, path),
        results=_optional(entry, "results", _results, None, path),
        parser=_optional(entry, "parser", fields.string, None, path),
        timeout=_optional(entry, "timeout", fields.number, None, path),
        workdirs=_optional(entry, "workdirs", fields.string, "keep_failed", path),
        resources=_optional(entry, "resources", fields.mapping, {}, path),
        umbridge=_optional(entry, "umbridge", read_umbridge, None, path),
    )


def _results(value: Any, path: str) -> ResultsFile:
    entry = fields.mapping(value, path)
    fields.check_keys(entry, path, RESULTS_KEYS, required=("file",))
    return ResultsFile(
        file=fields.string(entry["file"], f"{path}.file"),
        format=_optional(entry, "format", fields.string, None, path),
    )


def _output_spec(value: Any, path: str) -> OutputSpec:
    if isinstance(value, str):
        return OutputSpec(fields.identifier(value, path))
    entry = fields.mapping(value, path)
    fields.check_keys(entry, path, OUTPUT_KEYS, required=("name",))
    dims = fields.sequence(entry.get("dims", []), f"{path}.dims")
    coords = {}
    for dim, values in fields.mapping(entry.get("coords", {}), f"{path}.coords").items():
        coord_path = f"{path}.coords.{dim}"
        coords[dim] = tuple(
            fields.number(v, f"{coord_path}[{i}]")
            for i, v in enumerate(fields.sequence(values, coord_path))
        )
    return OutputSpec(
        name=fields.identifier(entry["name"], f"{path}.name"),
        dims=tuple(fields.identifier(d, f"{path}.dims[{i}]") for i, d in enumerate(dims)),
        coords=coords,
    )


def _analysis(value: Any, path: str) -> Analysis:
    entry = dict(fields.mapping(value, path))
    if "method" not in entry:
        raise StudyError(f"{path}.method", "is required (one of moments, pce, sobol, morris)")
    method = fields.string(entry.pop("method"), f"{path}.method")
    label = fields.identifier(entry.pop("label"), f"{path}.label") if "label" in entry else ""
    return Analysis(method=method, options=entry, label=label)


def _execution(value: Any) -> Execution:
    entry = fields.mapping(value, "execution")
    fields.check_keys(entry, "execution", EXECUTION_KEYS)
    return Execution(**entry)


def _output(value: Any) -> Output:
    entry = fields.mapping(value, "output")
    fields.check_keys(entry, "output", ("directory", "report"))
    return Output(
        directory=_optional(entry, "directory", fields.string, None, "output"),
        report=_optional(entry, "report", fields.boolean, True, "output"),
    )
