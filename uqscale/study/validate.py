"""Semantic checks of a whole study, run whenever a Study is built."""

from __future__ import annotations

from uqscale import distributions
from uqscale.errors import StudyError
from uqscale.study import fields
from uqscale.study.graph import step_order
from uqscale.study.methods import METHODS, read_options
from uqscale.study.model import CLUSTERS, NONFINITE_POLICIES, Study


def validate_study(study: Study) -> None:
    """Raise :class:`StudyError` for the first field of ``study`` that is wrong."""
    fields.string(study.name, "study")
    if not isinstance(study.description, str):
        fields.string(study.description, "description")
    fields.integer(study.seed, "seed", minimum=0)
    if not study.inputs:
        raise StudyError("inputs", "must name at least one uncertain input")
    if not study.models:
        raise StudyError("models", "must list at least one model step")
    for item in study.inputs:
        path = f"inputs.{item.name}"
        fields.identifier(item.name, path)
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
        fields.identifier(analysis.label, f"{path}.label")
    _check_unique([a.label for a in study.analysis], "analysis", attribute="label")
    _check_execution(study)


def _check_step(step, path: str) -> None:
    fields.identifier(step.name, f"{path}.name")
    module, _, function = step.python.partition(":")
    if not module or not function:
        raise StudyError(f"{path}.python",
                         f"must be 'module:function' (got {step.python!r})")
    for k, name in enumerate(step.inputs):
        fields.identifier(name, f"{path}.inputs[{k}]")
    fields.boolean(step.vectorized, f"{path}.vectorized")
    _check_plain(dict(step.parameters), f"{path}.parameters")
    _check_unique(list(step.inputs), f"{path}.inputs")
    if not step.outputs:
        raise StudyError(f"{path}.outputs", "must name at least one output")
    for k, output in enumerate(step.outputs):
        out_path = f"{path}.outputs[{k}]"
        fields.identifier(output.name, out_path)
        for i, dim in enumerate(output.dims):
            fields.identifier(dim, f"{out_path}.dims[{i}]")
        for dim in output.coords:
            if dim not in output.dims:
                raise StudyError(f"{out_path}.coords.{dim}",
                                 f"is not one of the output's dims {list(output.dims)}")
    clash = set(step.inputs) & set(step.parameters)
    if clash:
        raise StudyError(f"{path}.parameters.{sorted(clash)[0]}",
                         "is also one of the step's inputs; a keyword can come from one only")


def _check_plain(value, path: str) -> None:
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
        raise StudyError(path, f"must be a string, number, boolean, list or mapping "
                               f"(got {type(value).__name__}); use a list for a tuple")


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
    fields.choice(execution.nonfinite, "execution.nonfinite", NONFINITE_POLICIES)
