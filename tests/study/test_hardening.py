"""Bad or hostile study files: each is one line naming the file and the field, fast.

YAML 1.2 numbers, duplicate and empty keys, nesting, aliases (recursive and bombs),
huge literals, control characters, non-UTF-8 bytes, reserved names, distributions no
analysis could use, budgets that would not fit in memory, names that are not plain.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.study.test_errors import base_study, broken, error_of
from uqscale.errors import StudyError
from uqscale.models.command import find_program
from uqscale.study.files import load_study, study_from_text
from uqscale.study.loader import MAX_DEPTH, MAX_NODES
from uqscale.study.validate import RESERVED_NAMES

BASE = yaml.safe_dump(base_study(), sort_keys=False)
END = BASE.count("\n") + 1
"""The line after BASE."""


PEAK_BYTES = 64 * 2**20
"""What refusing a study may allocate: a hostile file that got expanded, or a budget
that got built, would take gigabytes (a wall-time bound would say the same but fails
on a loaded machine)."""


def refused_cheaply(refuse: Callable[[], Any]) -> Any:
    """``refuse()``, checking it allocated at most :data:`PEAK_BYTES` on the way."""
    tracemalloc.start()
    try:
        return refuse()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < PEAK_BYTES, f"refusing allocated {peak / 2**20:.0f} MiB"


def file_error(tmp_path, content: str | bytes) -> str:
    path = tmp_path / "bad.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)

    def load() -> pytest.ExceptionInfo[StudyError]:
        with pytest.raises(StudyError) as caught:
            load_study(path)
        return caught

    caught = refused_cheaply(load)
    message = str(caught.value)
    assert "\n" not in message
    return message.replace(str(path), "FILE")


@pytest.mark.parametrize(
    "text, value",
    [("1e-5", 1e-5), ("1E5", 1e5), (".5", 0.5), ("2.5e+3", 2500.0), ("+3.", 3.0), ("7", 7)],
)
def test_numbers_are_read_as_yaml_1_2_does(text, value):
    study = study_from_text(BASE.replace("high: 1.0", f"high: {text}"), None)
    high = study.inputs[0].params["high"]
    assert high == value and isinstance(high, float)


def test_quoted_numbers_stay_strings():
    assert study_from_text(BASE.replace("study: errors", "study: '1e5'"), None).name == "1e5"


LOADER_CASES = {
    "duplicate key": (
        BASE.replace("  x2:", "  x1:"),
        "FILE: not valid YAML (line 8, column 3: key 'x1' appears twice in one "
        "mapping (lines 4 and 8); keep one)",
    ),
    "empty key": (
        BASE + "'': 1\n",
        f"FILE: not valid YAML (line {END}, column 1: empty key: every key needs a name)",
    ),
    "null key": (
        BASE + "~: 1\n",
        f"FILE: not valid YAML (line {END}, column 1: empty key: every key needs a name)",
    ),
    "deep nesting": (
        "a: " + "[" * 500 + "]" * 500 + "\n",
        f"FILE: not valid YAML (line 1, column {MAX_DEPTH + 3}: nested deeper "
        f"than {MAX_DEPTH} levels)",
    ),
    "recursive alias": (
        BASE + "x: &a [1, *a]\n",
        f"FILE: not valid YAML (line {END}, column 11: "
        "the alias *a refers to a value that contains it (a recursive alias))",
    ),
    "huge integer": (
        BASE.replace("seed: 1", "seed: " + "9" * 5000),
        "FILE: not valid YAML (line 2, column 7: an integer of 5000 digits (at most 100))",
    ),
    "NUL in the name": (
        BASE.replace("study: errors", 'study: "err\\0ors"'),
        "FILE: not valid YAML (line 1, column 8: a string holds the control "
        "character or lone surrogate '\\x00'; remove it)",
    ),
    "lone surrogate in the name": (
        BASE.replace("study: errors", 'study: "\\ud800"'),
        "FILE: not valid YAML (line 1, column 8: a string holds the "
        "control character or lone surrogate '\\ud800'; remove it)",
    ),
    "not a mapping": ("- 1\n- 2\n", "FILE: must be a mapping (got list)"),
    "empty file": ("", "FILE: must be a mapping (got null)"),
    "non-UTF-8 bytes": (
        BASE.encode().replace(b"errors", b"err\xe9rs"),
        "FILE: is not UTF-8 text (byte 0xe9 on line 1); save it as UTF-8",
    ),
}


@pytest.mark.parametrize("case", sorted(LOADER_CASES))
def test_a_bad_file_is_one_line_naming_it(tmp_path, case):
    content, expected = LOADER_CASES[case]
    assert file_error(tmp_path, content) == expected


@pytest.mark.parametrize("where", ["inputs.x1", "execution.jobqueue", "verification"])
def test_an_alias_bomb_is_refused_while_composing(tmp_path, where):
    levels = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, 9)]
    bomb = "bombs:\n" + "".join(f"  {line}\n" for line in levels)
    key = where.split(".")[-1]
    content = BASE + bomb.replace("bombs:", f"{key}_bomb:")
    assert file_error(tmp_path, content).startswith(
        f"FILE: not valid YAML (line 2{len(levels) + 1}"[:27]
    )
    assert f"holds more than {MAX_NODES:,} values once its aliases are expanded" in file_error(
        tmp_path, content
    )


@pytest.mark.parametrize("name", RESERVED_NAMES)
@pytest.mark.parametrize(
    "where, path",
    [
        (("inputs",), "inputs.{name}"),
        (("models", 1, "outputs", 0), "models[1].outputs[0]"),
        (("models", 1, "outputs", 0, "dims"), "models[1].outputs[0].dims[0]"),
    ],
)
def test_reserved_names_are_refused(name, where, path):
    data = base_study()
    if where == ("inputs",):
        data["inputs"][name] = data["inputs"].pop("x2")
        data["models"][1]["inputs"] = ["m", name]
    elif where[-1] == "dims":
        data["models"][1]["outputs"][0] = {"name": "y", "dims": [name]}
    else:
        data["models"][1]["outputs"][0] = name
    assert error_of(data) == (
        f"{path.format(name=name)}: '{name}' is reserved: uqscale "
        f"names its own dimensions {', '.join(RESERVED_NAMES)}; choose "
        f"another name"
    )


@pytest.mark.parametrize(
    "input_, parameter, shown",
    [
        ({"distribution": "normal", "mean": 1e308, "std": 1.0}, "std", "low = 1e+308"),
        ({"distribution": "lognormal", "mu": 0.0, "sigma": 1e3}, "sigma", "mean (log) = 500000"),
        ({"distribution": "loguniform", "low": 1e-320, "high": 1.0}, "low", "low = 9.99989e-321"),
        (
            {"distribution": "beta", "alpha": 1e-300, "beta": 1e-300},
            "alpha",
            "normaliser (log) = -691.469",
        ),
    ],
)
def test_distributions_whose_moments_are_not_finite_are_refused(input_, parameter, shown):
    message = error_of(broken(("inputs", "x1"), input_))
    assert message.startswith(
        f"inputs.x1.{parameter}: gives a distribution whose moments or "
        f"quantiles are not finite numbers within 1e-100 .. 1e100 in "
        f"magnitude ({shown}; got "
    )


@pytest.mark.parametrize(
    "analysis, field, rows",
    [
        ({"method": "sobol", "n": 2**40}, "n", "4.4e+12"),
        ({"method": "pce", "order": 600}, "order", "3.62e+05"),
        ({"method": "morris", "trajectories": 10**9}, "trajectories", "3e+09"),
    ],
)
def test_budgets_that_would_not_fit_in_memory_are_refused_at_once(analysis, field, rows):
    message = refused_cheaply(lambda: error_of(broken(("analysis",), [analysis])))
    assert message.startswith(
        f"analysis[0].{field}: asks for a design of {rows} samples of 2 inputs, about "
    )
    assert message.endswith(
        f"in memory, more than this machine's "
        f"{message.split('machine' + chr(39) + 's ')[1].split(';')[0]}; "
        f"lower {field}"
    )


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", "-x", "a b", "x" * 101, "é"])
def test_study_names_must_be_plain(name):
    assert error_of(broken(("study",), name)).startswith(
        "study: must be a plain name: letters, digits, '.', '_' and '-', not starting with "
        "'.' or '-', at most 100 characters (got "
    )


@pytest.mark.parametrize("target", [".", "./", "a//b", "a/./b", "..", "x/../y", "/etc/x", "a b"])
def test_files_targets_must_be_plain_relative_file_names(target):
    data = base_study()
    data["models"][1] = {
        "name": "macro",
        "command": ["./heat", "p.txt"],
        "inputs": ["m", "x2"],
        "outputs": ["y"],
        "files": {target: "t.in"},
        "results": {"file": "out.json"},
    }
    assert error_of(data) == (
        f"models[1].files: must be a relative path inside the work directory (got {target!r})"
    )


def test_a_bare_program_name_is_looked_up_on_path_not_in_the_study_folder(tmp_path):
    impostor = tmp_path / "python3"
    impostor.write_text("#!/bin/sh\necho impostor\n")
    impostor.chmod(0o755)
    found = find_program("python3", tmp_path, "models[0].command[0]")
    assert found != str(impostor) and found.endswith("python3")
    assert find_program("./python3", tmp_path, "models[0].command[0]") == str(impostor)
    with pytest.raises(
        StudyError,
        match=r"^models\[0\]\.command\[0\]: program 'no-such-tool' "
        r"not found on PATH \(write a program of the study "
        r"folder as a path: './no-such-tool'\)$",
    ):
        find_program("no-such-tool", tmp_path, "models[0].command[0]")


def test_the_budget_uses_the_pce_oversampling_without_importing_pce():
    from uqscale.analysis import pce
    from uqscale.study import budget

    assert budget.OVERSAMPLING == pce.OVERSAMPLING
