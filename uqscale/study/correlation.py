"""The ``correlation:`` block of a study: dependent inputs through a Gaussian copula.

```yaml
correlation:
  inputs: [clearance, volume]
  matrix: [[1.0, 0.6], [0.6, 1.0]]     # correlation of the inputs' normal scores
  # or spearman: [[...]] / kendall: [[...]]: rank correlations, converted
```

Exactly one of ``matrix``, ``spearman`` and ``kendall``. Rank correlations are
converted entry by entry to the normal-score correlation with the same rank
correlation (:func:`uqscale.copula.from_spearman`, :func:`~uqscale.copula.from_kendall`);
the result is checked like a given matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uqscale.copula import GaussianCopula, check_matrix, from_kendall, from_spearman
from uqscale.distributions import FAMILIES
from uqscale.errors import StudyError
from uqscale.study import fields

if TYPE_CHECKING:
    from uqscale.study.model import Study

KINDS: dict[str, Callable[[float], float]] = {
    "matrix": float,
    "spearman": from_spearman,
    "kendall": from_kendall,
}
"""How each way of writing the matrix becomes normal-score correlations."""
KEYS = ("inputs", *KINDS)
DISCRETE = tuple(name for name, family in FAMILIES.items() if family.discrete)
"""Families a Gaussian copula cannot join (their normal scores are not defined)."""


@dataclass(frozen=True)
class Correlation:
    """Correlated inputs and their correlation matrix as written.

    Parameters
    ----------
    inputs
        The correlated inputs, in the matrix's order.
    matrix
        The matrix as written (rows).
    kind
        ``matrix`` (normal scores), ``spearman`` or ``kendall``.
    """

    inputs: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]
    kind: str = "matrix"

    @property
    def normal_scores(self) -> tuple[tuple[float, ...], ...]:
        """The normal-score correlation matrix."""
        convert = KINDS[self.kind]
        return tuple(
            tuple(1.0 if i == j else convert(v) for j, v in enumerate(row))
            for i, row in enumerate(self.matrix)
        )

    def to_dict(self) -> dict[str, Any]:
        """The file form."""
        return {"inputs": list(self.inputs), self.kind: [list(row) for row in self.matrix]}


def parse_correlation(value: Any, path: str = "correlation") -> Correlation:
    """Read the ``correlation:`` block.

    Parameters
    ----------
    value
        The block as loaded from YAML.
    path
        Its field path.

    Returns
    -------
    Correlation
        The block, structurally checked (see :func:`validate_correlation`).
    """
    data = fields.mapping(value, path)
    fields.check_keys(data, path, KEYS, required=("inputs",))
    given = [k for k in KINDS if k in data]
    if len(given) != 1:
        raise StudyError(
            path,
            "needs exactly one of matrix (normal-score correlations), "
            f"spearman or kendall (got {', '.join(given) or 'none'})",
        )
    kind = given[0]
    names = tuple(
        fields.identifier(n, fields.join(fields.join(path, "inputs"), i))
        for i, n in enumerate(fields.sequence(data["inputs"], fields.join(path, "inputs")))
    )
    where = fields.join(path, kind)
    rows = tuple(
        tuple(
            fields.number(v, f"{where}[{i}][{j}]")
            for j, v in enumerate(fields.sequence(row, f"{where}[{i}]"))
        )
        for i, row in enumerate(fields.sequence(data[kind], where))
    )
    return Correlation(names, rows, kind)


def validate_correlation(study: Study) -> None:
    """Refuse a correlation block that does not fit its study, naming the entry."""
    block = study.correlation
    if block is None:
        return
    known = {i.name: i for i in study.inputs}
    for k, name in enumerate(block.inputs):
        where = f"correlation.inputs[{k}]"
        if name not in known:
            raise StudyError(where, f"unknown input {name!r}; known: {', '.join(known)}")
        if name in block.inputs[:k]:
            raise StudyError(where, f"{name!r} is listed twice")
        if known[name].distribution in DISCRETE:
            raise StudyError(
                where,
                f"{name!r} is {known[name].distribution}: a Gaussian copula is defined for "
                "continuous inputs only; leave it out of correlation.inputs (it stays "
                "independent of the others)",
            )
    if len(block.inputs) < 2:
        raise StudyError("correlation.inputs", "must name at least two inputs")
    where = f"correlation.{block.kind}"
    if len(block.matrix) != len(block.inputs):
        raise StudyError(
            where, f"must have {len(block.inputs)} rows, one per input (got {len(block.matrix)})"
        )
    check_matrix(block.matrix, where)
    if block.kind != "matrix":
        check_matrix(block.normal_scores, where)
    from uqscale.analysis.registry import METHODS

    for k, analysis in enumerate(study.analysis):
        if not METHODS[analysis.method].dependent_inputs:
            raise StudyError(
                f"analysis[{k}].method",
                f"{analysis.method} assumes independent inputs, and "
                f"correlation: makes {', '.join(block.inputs)} dependent; use "
                "method: shapley (Shapley effects) or moments",
            )


def copula_of(study: Study) -> GaussianCopula | None:
    """The study's Gaussian copula, or None for independent inputs."""
    if study.correlation is None:
        return None
    return GaussianCopula(
        study.input_names, study.correlation.inputs, study.correlation.normal_scores
    )
