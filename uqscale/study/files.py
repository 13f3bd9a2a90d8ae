"""Study files: YAML in, YAML out, loaded safely (nothing in a study is evaluated)."""

from __future__ import annotations

from pathlib import Path

import yaml

from uqscale.errors import StudyError
from uqscale.study.model import Study
from uqscale.study.parse import parse_study


def read_study_text(path: str | Path) -> str:
    """Return the text of a study file, or a one-line error if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise StudyError(str(path), f"cannot read the study file ({error.strerror})") from None


def study_from_text(text: str, base_dir: Path | None, source: str = "study") -> Study:
    """Parse a study from YAML text; ``base_dir`` is where its models live."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise StudyError(source, f"not valid YAML ({where}{problem})") from None
    return parse_study(data, base_dir)


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
    """Write a study's file form to ``path``."""
    Path(path).write_text(study_to_yaml(study), encoding="utf-8")
