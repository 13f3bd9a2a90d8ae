"""Hashes of a study's model code: which files count, and the one that changed."""

import os

from uqscale.models.codehash import changed_file, code_hashes
from uqscale.study import Study


def command_study(folder):
    program = folder / "solver.sh"
    program.write_text("#!/bin/sh\ncp params.txt out.json\n")
    os.chmod(program, 0o755)
    (folder / "params.in").write_text('{"y": {x}}\n')
    return Study.from_dict(
        {
            "study": "cmd",
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [
                {
                    "name": "solver",
                    "command": ["./solver.sh"],
                    "inputs": ["x"],
                    "files": {"params.txt": "params.in"},
                    "outputs": ["y"],
                    "results": {"file": "out.json"},
                }
            ],
            "analysis": [{"method": "moments", "n": 8}],
        },
        folder,
    )


def test_a_command_step_hashes_its_program_and_templates(tmp_path):
    study = command_study(tmp_path)
    before = code_hashes(study)
    assert set(before) == {"solver.sh", "params.in"}
    (tmp_path / "params.in").write_text('{"y": {x}, "z": 1}\n')
    assert changed_file(before, code_hashes(study)) == "params.in"


def test_a_python_step_hashes_its_module_and_the_helpers_it_imports(tmp_path):
    (tmp_path / "helperq_uq.py").write_text("def scale(x):\n    return 2 * x\n")
    (tmp_path / "unrelated_uq.py").write_text("X = 1\n")
    (tmp_path / "stepq_uq.py").write_text(
        "from helperq_uq import scale\n\ndef f(x):\n    return {'y': scale(x)}\n"
    )
    study = Study.from_dict(
        {
            "study": "py",
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [{"name": "f", "python": "stepq_uq:f", "inputs": ["x"], "outputs": ["y"]}],
            "analysis": [{"method": "moments", "n": 8}],
        },
        tmp_path,
    )
    before = code_hashes(study)
    assert set(before) == {"stepq_uq.py", "helperq_uq.py"}
    (tmp_path / "helperq_uq.py").write_text("def scale(x):\n    return 3 * x\n")
    assert changed_file(before, code_hashes(study)) == "helperq_uq.py"
