"""Verification that can fail: a study's cases run against a deliberately broken model.

:func:`failing_cases` imports a step's module exactly as a run does (from the study's
folder), lets the caller break it (``monkeypatch.setattr`` on a module constant or
function) or changes a step's parameters, and returns the names of the cases that
then fail. A perturbation of a key constant or sign must make at least one fail.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from uqscale.models.loading import load_callable
from uqscale.study.files import load_study
from uqscale.study.model import Study
from uqscale.verify import verify_study

STUDIES = Path(__file__).resolve().parents[2] / "studies"


def step_module(study: Study, step: str) -> ModuleType:
    """The module of a Python step, imported as a run imports it."""
    spec = next(m.python for m in study.models if m.name == step)
    load_callable(spec, study.base_dir)
    return sys.modules[spec.partition(":")[0]]


def replacing(
    monkeypatch, step: str, name: str, wrap: Callable[[Callable], Callable]
) -> Callable[[Study], None]:
    """A ``break_model`` for :func:`failing_cases`: function ``name`` of the step's
    module becomes ``wrap(original)`` (undone with the test's ``monkeypatch``)."""

    def break_model(study: Study) -> None:
        module = step_module(study, step)
        monkeypatch.setattr(module, name, wrap(getattr(module, name)))

    return break_model


def failing_cases(
    name: str,
    break_model: Callable[[Study], None] | None = None,
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
    cases: list[str] | None = None,
) -> list[str]:
    """Names of the verification cases of ``studies/NAME.yaml`` that fail once
    ``break_model(study)`` has run (it patches modules, see :func:`step_module`) and
    the steps' ``parameters`` (``{step: {parameter: value}}``) are changed."""
    study = load_study(STUDIES / f"{name}.yaml")
    if break_model is not None:
        break_model(study)
    if parameters:
        study = study.replace(
            models=tuple(
                dataclasses.replace(m, parameters={**m.parameters, **parameters.get(m.name, {})})
                for m in study.models
            )
        )
    return [r.name for r in verify_study(study, cases) if not r.passed]
