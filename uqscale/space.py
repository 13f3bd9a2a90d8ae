"""The input space: the joint distribution of a study's uncertain inputs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from uqscale import distributions
from uqscale.copula import GaussianCopula, uniform_of
from uqscale.discrete import is_string_valued
from uqscale.study.model import Study, UncertainInput


class InputSpace:
    """Uncertain inputs, their marginals, their dependence and their scale groups.

    Parameters
    ----------
    inputs
        The study's uncertain inputs, in order; columns of every design follow it.
    copula
        The normal-score correlation of dependent inputs; None: independent inputs.
    """

    def __init__(
        self, inputs: Sequence[UncertainInput], copula: GaussianCopula | None = None
    ) -> None:
        self.inputs = tuple(inputs)
        self.names = tuple(i.name for i in self.inputs)
        self.copula = copula

    @classmethod
    def of(cls, study: Study) -> InputSpace:
        """The input space of ``study``: its inputs and their copula, if any."""
        from uqscale.study.correlation import copula_of

        return cls(study.inputs, copula_of(study))

    @property
    def independent(self) -> bool:
        """Whether the inputs are independent."""
        return self.copula is None

    @cached_property
    def correlation(self) -> np.ndarray:
        """The ``(d, d)`` correlation of the inputs' normal scores."""
        return np.eye(self.dimension) if self.copula is None else self.copula.full

    @property
    def dimension(self) -> int:
        """Number of uncertain inputs."""
        return len(self.inputs)

    @cached_property
    def marginals(self) -> list[Any]:
        """The chaospy distribution of each input."""
        return [distributions.build(i.distribution, i.params) for i in self.inputs]

    @cached_property
    def joint(self) -> Any:
        """The chaospy joint distribution (independent marginals)."""
        import chaospy

        return chaospy.J(*self.marginals)

    @property
    def discrete(self) -> tuple[str, ...]:
        """The inputs of discrete families (categorical, integer-valued)."""
        return tuple(i.name for i in self.inputs if distributions.FAMILIES[i.distribution].discrete)

    @property
    def categories(self) -> dict[str, tuple[str, ...]]:
        """The values of each string categorical input, in code order: its design
        column holds the codes ``0 .. k - 1`` (:mod:`uqscale.discrete`)."""
        return {
            i.name: tuple(i.params["values"]) for i in self.inputs if is_string_valued(i.params)
        }

    @property
    def groups(self) -> dict[str, list[str]]:
        """Inputs by ``scale`` tag, in order of first appearance; untagged inputs
        form the group ``"unscaled"``."""
        result: dict[str, list[str]] = {}
        for item in self.inputs:
            result.setdefault(item.scale or "unscaled", []).append(item.name)
        return result

    def to_physical(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube with independent columns, shape ``(n, d)``, to
        the inputs' joint distribution: through the copula when there is one, then by
        each marginal's inverse CDF."""
        if self.copula is not None:
            unit = self.copula.correlate(unit)
        return self._inverse_cdfs(unit)

    def from_scores(self, scores: np.ndarray) -> np.ndarray:
        """Map normal scores that already carry the inputs' correlation, ``(n, d)``,
        to physical inputs (for designs drawn in normal-score space)."""
        return self._inverse_cdfs(uniform_of(scores))

    def _inverse_cdfs(self, unit: np.ndarray) -> np.ndarray:
        columns = [m.inv(unit[:, j]) for j, m in enumerate(self.marginals)]
        return np.column_stack(columns) if columns else np.empty((len(unit), 0))
