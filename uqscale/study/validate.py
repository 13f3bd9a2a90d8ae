"""Semantic checks of a whole study, run whenever a Study is built."""

from __future__ import annotations

from typing import Any

from uqscale import distributions
from uqscale.analysis.dims import RESERVED
from uqscale.errors import StudyError
from uqscale.execute.kinds import CLUSTERS, KINDS
from uqscale.study import fields
from uqscale.study.budget import check_budget
from uqscale.study.correlation import validate_correlation
from uqscale.study.graph import step_order
from uqscale.study.methods import METHODS, read_options
from uqscale.study.model import (
    NONFINITE_POLICIES,
    RESULT_FORMATS,
    WORKDIR_POLICIES,
    ModelStep,
    ResultsFile,
    Study,
)
from uqscale.study.resolution import validate_resolution
from uqscale.study.templates import check_template
from uqscale.study.umbridge import check_umbridge_step
from uqscale.study.verification import check_cases

COMMAND_ONLY: dict[str, Any] = {
    "files": {},
    "results": None,
    "parser": None,
    "workdirs": "keep_failed",
}
RESERVED_NAMES = RESERVED
"""Names uqscale gives to dimensions and variables of its own files (``design.nc``,
``results.nc``, ``analyses.nc``), which inputs, outputs and field dims cannot take."""


def validate_study(study: Study) -> None:
    """Raise :class:`StudyError` for the first field of ``study`` that is wrong."""
    fields.plain_name(study.name, "study")
    if not isinstance(study.description, str):
        fields.string(study.description, "description")
    fields.integer(study.seed, "seed", minimum=0)
    if not study.inputs:
        raise StudyError("inputs", "must name at least one uncertain input")
    if not study.models:
        raise StudyError("models", "must list at least one model step")
    for item in study.inputs:
        path = f"inputs.{item.name}"
        _name(item.name, path)
        fields.choice(item.distribution, f"{path}.distribution", distributions.FAMILIES)
        family = distributions.FAMILIES[item.distribution]
        fields.check_keys(item.params, path, family.required + family.optional)
        for tag in ("scale", "units"):
            if getattr(item, tag) is not None:
                fields.string(getattr(item, tag), f"{path}.{tag}")
        distributions.check_parameters(item.distribution, item.params, path)
    _check_unique([i.name for i in study.inputs], "inputs")
    for index, step in enumerate(study.models):
        _check_step(step, f"models[{index}]")
    _check_unique([m.name for m in study.models], "models", attribute="name")
    step_order(study.models, study.input_names)
    for index, analysis in enumerate(study.analysis):
        path = f"analysis[{index}]"
        fields.choice(analysis.method, f"{path}.method", METHODS)
        filled = read_options(analysis.method, analysis.options, path)
        object.__setattr__(analysis, "options", filled)
        check_budget(analysis.method, filled, len(study.inputs), path)
        _check_discrete(study, analysis.method, path)
        fields.identifier(analysis.label, f"{path}.label")
    _check_unique([a.label for a in study.analysis], "analysis", attribute="label")
    _check_execution(study)
    check_cases(study)
    if study.resolution is not None:
        validate_resolution(study.resolution, study)
    validate_correlation(study)


def _check_discrete(study: Study, method: str, path: str) -> None:
    """Refuse a method that needs continuous inputs for a study with a discrete one."""
    if not METHODS[method].continuous_only:
        return
    for item in study.inputs:
        if distributions.FAMILIES[item.distribution].discrete:
            raise StudyError(
                f"{path}.method",
                f"{method} needs continuous inputs, and inputs.{item.name} is "
                f"{item.distribution}; use method: sobol or shapley",
            )


def _name(value: Any, path: str) -> str:
    """An identifier that is none of :data:`RESERVED_NAMES`."""
    name = fields.identifier(value, path)
    if name in RESERVED_NAMES:
        raise StudyError(
            path,
            f"'{name}' is reserved: uqscale names its own dimensions "
            f"{', '.join(RESERVED_NAMES)}; choose another name",
        )
    return name


def _check_step(step: ModelStep, path: str) -> None:
    fields.identifier(step.name, f"{path}.name")
    for k, name in enumerate(step.inputs):
        fields.identifier(name, f"{path}.inputs[{k}]")
    fields.boolean(step.vectorized, f"{path}.vectorized")
    _check_plain(dict(step.parameters), f"{path}.parameters")
    _check_unique(list(step.inputs), f"{path}.inputs")
    if not step.outputs:
        raise StudyError(f"{path}.outputs", "must name at least one output")
    for k, output in enumerate(step.outputs):
        out_path = f"{path}.outputs[{k}]"
        _name(output.name, out_path)
        for i, dim in enumerate(output.dims):
            _name(dim, f"{out_path}.dims[{i}]")
        for dim in output.coords:
            if dim not in output.dims:
                raise StudyError(
                    f"{out_path}.coords.{dim}",
                    f"is not one of the output's dims {list(output.dims)}",
                )
    for key, value in fields.mapping(step.resources, f"{path}.resources").items():
        if fields.number(value, f"{path}.resources.{key}") <= 0:
            raise StudyError(f"{path}.resources.{key}", f"must be positive (got {value})")
    clash = set(step.inputs) & set(step.parameters)
    if clash:
        raise StudyError(
            f"{path}.parameters.{sorted(clash)[0]}",
            "is also one of the step's inputs; a keyword can come from one only",
        )
    if step.umbridge is not None:
        check_umbridge_step(step, path)
    elif step.command is None:
        _check_python_step(step, path)
    else:
        _check_command_step(step, path)


def _check_python_step(step: ModelStep, path: str) -> None:
    if step.python is None:
        raise StudyError(f"{path}.python", "is required")
    if not callable(step.python):
        fields.entry_point(step.python, f"{path}.python")
    for key, default in COMMAND_ONLY.items():
        if getattr(step, key) != default:
            raise StudyError(
                f"{path}.{key}", "applies to command steps only (this step runs python)"
            )


def _check_command_step(step: ModelStep, path: str) -> None:
    if step.python is not None:
        raise StudyError(
            f"{path}.command", "a step runs either python or command, not both; remove one"
        )
    command = fields.argument_list(step.command, f"{path}.command")
    if step.vectorized:
        raise StudyError(
            f"{path}.vectorized", "command steps run once per sample; remove vectorized"
        )
    known = (*step.inputs, *step.parameters)
    for k, argument in enumerate(command[1:], start=1):
        check_template(argument, known, f"{path}.command[{k}]")
    for target, template in fields.mapping(step.files, f"{path}.files").items():
        fields.relative_path(target, f"{path}.files")
        fields.string(template, fields.join(f"{path}.files", target))
    _check_results(step, path)
    if step.timeout is not None and fields.number(step.timeout, f"{path}.timeout") <= 0:
        raise StudyError(f"{path}.timeout", f"must be positive (got {step.timeout:g})")
    fields.choice(step.workdirs, f"{path}.workdirs", WORKDIR_POLICIES)


def _check_results(step: ModelStep, path: str) -> None:
    if step.results is None and step.parser is None:
        raise StudyError(
            f"{path}.results",
            "a command step needs results: {file: ..., "
            "format: json|csv} or parser: 'module:function'",
        )
    if step.results is not None and step.parser is not None:
        raise StudyError(f"{path}.parser", "give results or parser, not both")
    if step.parser is not None:
        fields.entry_point(step.parser, f"{path}.parser")
        return
    if not isinstance(step.results, ResultsFile):
        raise StudyError(f"{path}.results", "must be a ResultsFile(file, format)")
    fields.relative_path(step.results.file, f"{path}.results.file")
    if step.results.format is None:
        raise StudyError(
            f"{path}.results.format",
            f"is required: '{step.results.file}' ends in neither .json nor .csv (one of json, csv)",
        )
    fields.choice(step.results.format, f"{path}.results.format", RESULT_FORMATS)


def _check_plain(value: Any, path: str) -> None:
    """Parameters must be what YAML writes and reads back unchanged: identifiers as
    keys; strings, numbers, booleans, null, lists and mappings as values."""
    if isinstance(value, dict):
        for key, item in value.items():
            fields.identifier(key, fields.join(path, key))
            _check_plain(item, fields.join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_plain(item, fields.join(path, i))
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise StudyError(
            path,
            f"must be a string, number, boolean, list or mapping "
            f"(got {type(value).__name__}); use a list for a tuple",
        )


def _check_unique(names: list[str], path: str, attribute: str | None = None) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            where = f"{path}[{index}].{attribute}" if attribute else f"{path}[{index}]"
            raise StudyError(where, f"'{name}' appears twice; names must be unique")
        seen.add(name)


def _check_execution(study: Study) -> None:
    execution = study.execution
    fields.choice(execution.cluster, "execution.cluster", CLUSTERS)
    fields.integer(execution.workers, "execution.workers", minimum=1)
    if execution.batch_size is not None:
        fields.integer(execution.batch_size, "execution.batch_size", minimum=1)
    fields.integer(execution.retries, "execution.retries", minimum=0)
    if execution.timeout is not None and fields.number(execution.timeout, "execution.timeout") <= 0:
        raise StudyError("execution.timeout", f"must be positive (got {execution.timeout})")
    fields.choice(execution.nonfinite, "execution.nonfinite", NONFINITE_POLICIES)
    fields.boolean(execution.fail_fast, "execution.fail_fast")  # h15 (issue 15.2)
    for key in ("address", "scheduler_file", "profile"):
        if getattr(execution, key) is not None:
            fields.string(getattr(execution, key), f"execution.{key}")
    needed = KINDS[execution.cluster].requires
    if needed and not getattr(execution, needed):
        raise StudyError(
            f"execution.{needed}", f"is required when execution.cluster is {execution.cluster}"
        )
    fields.integer(execution.jobs, "execution.jobs", minimum=1)
    for key in ("minimum_jobs", "maximum_jobs"):
        if getattr(execution, key) is not None:
            fields.integer(getattr(execution, key), f"execution.{key}", minimum=0)
    if (execution.minimum_jobs or 0) > (execution.maximum_jobs or execution.jobs):
        raise StudyError("execution.minimum_jobs", "must not exceed maximum_jobs")
    fields.mapping(execution.jobqueue, "execution.jobqueue")
    _check_plain(dict(execution.jobqueue), "execution.jobqueue")
    for key, value in fields.mapping(execution.resources, "execution.resources").items():
        if fields.number(value, f"execution.resources.{key}") <= 0:
            raise StudyError(f"execution.resources.{key}", f"must be positive (got {value})")
