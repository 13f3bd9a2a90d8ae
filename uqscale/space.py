"""The input space: the joint distribution of a study's uncertain inputs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from uqscale import distributions
from uqscale.study.model import UncertainInput


class InputSpace:
    """Independent uncertain inputs, their marginals and their scale groups.

    Parameters
    ----------
    inputs
        The study's uncertain inputs, in order; columns of every design follow it.
    """

    def __init__(self, inputs: Sequence[UncertainInput]) -> None:
        self.inputs = tuple(inputs)
        self.names = tuple(i.name for i in self.inputs)

    @property
    def dimension(self) -> int:
        """Number of uncertain inputs."""
        return len(self.inputs)

    @cached_property
    def marginals(self) -> list:
        """The chaospy distribution of each input."""
        return [distributions.build(i.distribution, i.params) for i in self.inputs]

    @cached_property
    def joint(self):
        """The chaospy joint distribution (independent marginals)."""
        import chaospy

        return chaospy.J(*self.marginals)

    @property
    def groups(self) -> dict[str, list[str]]:
        """Inputs by ``scale`` tag, in order of first appearance; untagged inputs
        form the group ``"unscaled"``."""
        result: dict[str, list[str]] = {}
        for item in self.inputs:
            result.setdefault(item.scale or "unscaled", []).append(item.name)
        return result

    def to_physical(self, unit: np.ndarray) -> np.ndarray:
        """Map points of the unit cube, shape ``(n, d)``, to the inputs' distributions
        by each marginal's inverse CDF."""
        columns = [m.inv(unit[:, j]) for j, m in enumerate(self.marginals)]
        return np.column_stack(columns) if columns else np.empty((len(unit), 0))
