"""What ``validate`` finds without running: signatures, programs, --try on medians."""

import os

import pytest

from tests.small_studies import uqscale, write_study
from uqscale.errors import StoppedEarlyError, StudyError
from uqscale.execute.failfast import FAIL_FAST_SAMPLES, FailFast
from uqscale.models.evaluate import BatchResult, Failure
from uqscale.models.signatures import ModelCheckError, check_models
from uqscale.study import Study
from uqscale.study.files import load_study

VECTORISED = """
import numpy as np

def absorb(dose, beta, ka=1.0):
    return {"c": dose * ka * beta}

def loose(**kwargs):
    return {"c": sum(kwargs.values())}

def scalar_only(dose, beta):
    if np.ndim(dose):
        raise TypeError("only size-1 arrays can be converted to Python scalars")
    return {"c": dose}
"""


def study_of(tmp_path, function, inputs=("dose", "beta"), parameters=None, vectorized=True):
    (tmp_path / "pkpd_uq.py").write_text(VECTORISED)
    step = {
        "name": "pk",
        "python": f"pkpd_uq:{function}",
        "inputs": list(inputs),
        "outputs": ["c"],
        "vectorized": vectorized,
    }
    if parameters:
        step["parameters"] = parameters
    return Study.from_dict(
        {
            "study": "pk",
            "inputs": {name: {"distribution": "uniform", "low": 1, "high": 2} for name in inputs},
            "models": [step],
            "analysis": [{"method": "moments", "n": 8}],
        },
        tmp_path,
    )


def test_a_misspelt_parameter_and_input_each_give_one_line(tmp_path):
    study = study_of(tmp_path, "absorb", inputs=("dose", "beta_v"), parameters={"qq": 0.05})
    with pytest.raises(ModelCheckError) as caught:
        check_models(study)
    assert caught.value.lines() == [
        "error: models[0].inputs[1]: function pkpd_uq:absorb has no parameter 'beta_v'",
        "error: models[0].parameters.qq: function pkpd_uq:absorb has no parameter 'qq'",
        "error: models[0].python: function pkpd_uq:absorb requires argument 'beta', which is "
        "neither an input nor a parameter of the step",
    ]


def test_matching_and_open_signatures_pass(tmp_path):
    check_models(study_of(tmp_path, "absorb", parameters={"ka": 2.0}))
    check_models(study_of(tmp_path, "loose", parameters={"anything": 1}))


def test_try_calls_vectorised_steps_on_medians(tmp_path):
    study = study_of(tmp_path, "scalar_only")
    check_models(study)  # the signature is right ...
    with pytest.raises(
        ModelCheckError,
        match=r"^models\[0\]\.python: --try: TypeError on a "
        r"batch of medians: only size-1 arrays",
    ):
        check_models(study, try_medians=True)  # ... but it cannot take a batch


def test_validate_prints_every_mismatch_and_exits_2(tmp_path):
    study = write_study(tmp_path, parameters={"qq": 1, "delay": 0})
    done = uqscale("validate", study)
    assert done.returncode == 2
    assert done.stderr == (
        "error: models[0].parameters.qq: function smallmodels_uq:works has no parameter 'qq'\n"
    )


def test_a_program_that_is_not_executable_is_named(tmp_path):
    program = tmp_path / "solver.sh"
    program.write_text("#!/bin/sh\necho '{\"y\": 1}' > out.json\n")
    os.chmod(program, 0o644)
    study = Study.from_dict(
        {
            "study": "cmd",
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [
                {
                    "name": "solver",
                    "command": ["./solver.sh", "{x}"],
                    "inputs": ["x"],
                    "outputs": ["y"],
                    "results": {"file": "out.json"},
                }
            ],
            "analysis": [{"method": "moments", "n": 8}],
        },
        tmp_path,
    )
    with pytest.raises(
        StudyError,
        match=r"^models\[0\]\.command\[0\]: '.*solver.sh' is not "
        r"executable \(chmod \+x it\)$",
    ):
        check_models(study)


def test_validate_accepts_every_shipped_study_with_try():
    from pathlib import Path

    from uqscale.assimilation.state import checked_study  # as cmd_validate checks them

    for path in sorted((Path(__file__).resolve().parents[1] / "studies").glob("*.yaml")):
        check_models(checked_study(load_study(path)), try_medians=True)


def batch(start, stop, failures):
    return BatchResult(
        start, stop, {}, [Failure(s, step, error, "boom") for s, step, error in failures]
    )


def test_fail_fast_stops_at_the_documented_number_of_alike_failures():
    watch = FailFast(True, "uqscale resume DIR --retry-failed")
    watch.update(batch(0, 1, [(0, "pk", "TypeError")]))
    watch.update(batch(1, 2, [(1, "pk", "TypeError")]))
    with pytest.raises(
        StoppedEarlyError,
        match=rf"the first {FAIL_FAST_SAMPLES} samples all "
        r"failed in step 'pk' with TypeError: boom",
    ):
        watch.update(
            batch(
                2, FAIL_FAST_SAMPLES, [(s, "pk", "TypeError") for s in range(2, FAIL_FAST_SAMPLES)]
            )
        )


@pytest.mark.parametrize("second", [[], [(1, "pk", "ValueError")], [(1, "pd", "TypeError")]])
def test_fail_fast_never_stops_on_successes_or_different_failures(second):
    watch = FailFast(True, "")
    watch.update(batch(0, 1, [(0, "pk", "TypeError")]))
    watch.update(batch(1, 2, second))
    for start in range(2, 200, 10):
        watch.update(
            batch(start, start + 10, [(s, "pk", "TypeError") for s in range(start, start + 10)])
        )


def test_fail_fast_false_runs_on():
    watch = FailFast(False, "")
    watch.update(batch(0, 500, [(s, "pk", "TypeError") for s in range(500)]))
