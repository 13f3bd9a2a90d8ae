"""Study files: YAML in, YAML out, loaded safely (nothing in a study is evaluated)."""

from __future__ import annotations

from pathlib import Path

import yaml

from uqscale.errors import StudyError
from uqscale.study import loader
from uqscale.study.model import Study
from uqscale.study.parse import parse_study

MAX_FILE_BYTES = 16 * 2**20
"""Largest study file read (16 MiB)."""


def read_study_text(path: str | Path) -> str:
    """Return the text of a study file (UTF-8), or a one-line error naming the file if
    it cannot be read, is larger than :data:`MAX_FILE_BYTES` or is not UTF-8."""
    try:
        with open(path, "rb") as stream:
            content = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise StudyError(str(path), f"cannot read the study file ({error.strerror})") from None
    if len(content) > MAX_FILE_BYTES:
        raise StudyError(
            str(path),
            f"is larger than {MAX_FILE_BYTES // 2**20} MiB; a study "
            f"file describes a study, its data belong elsewhere",
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise StudyError(
            str(path),
            f"is not UTF-8 text (byte 0x{content[error.start]:02x} "
            f"on line {line}); save it as UTF-8",
        ) from None


def study_from_text(text: str, base_dir: Path | None, source: str = "study file") -> Study:
    """Parse a study from YAML text (:mod:`uqscale.study.loader`: YAML 1.2 numbers,
    duplicate keys refused, bounded); ``base_dir`` is where its models live. An error
    about the file as a whole names ``source``.

    Parameters
    ----------
    text
        The study file's text.
    base_dir
        The folder its models live in (None: none, models import from sys.path).
    source
        How errors about the whole file name it, e.g. its path.

    Returns
    -------
    Study
        The validated study.
    """
    try:
        data = loader.load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        raise StudyError(source, f"not valid YAML ({where}{problem})") from None
    try:
        return parse_study(data, base_dir)
    except StudyError as error:
        if error.path:
            raise
        raise StudyError(source, error.message) from None


def load_study(path: str | Path) -> Study:
    """Load and validate a study file.

    Parameters
    ----------
    path
        The YAML study file. Its folder is searched first for the models it names.

    Returns
    -------
    Study
        The validated study.

    Raises
    ------
    StudyError
        Naming the first field that is wrong.
    """
    path = Path(path)
    return study_from_text(read_study_text(path), path.resolve().parent, str(path))


def study_to_yaml(study: Study) -> str:
    """Return a study's file form as YAML text; loading it gives an equal study."""
    return yaml.safe_dump(study.to_dict(), sort_keys=False, default_flow_style=None, width=88)


def save_study(study: Study, path: str | Path) -> None:
    """Write a study's file form to ``path``.

    Parameters
    ----------
    study
        The study to save.
    path
        The YAML file to write (replaced if it exists).

    Raises
    ------
    StudyError
        Naming the first step whose model is a Python callable, which a study file
        cannot hold.
    """
    for index, step in enumerate(study.models):
        if callable(step.python):
            raise StudyError(
                f"models[{index}].python",
                f"step '{step.name}' runs a Python callable ({step.python_name}), which a "
                f"study file cannot hold; put it in a module and name it 'module:function'",
            )
    Path(path).write_text(study_to_yaml(study), encoding="utf-8")
