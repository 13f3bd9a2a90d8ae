"""Ordering the model graph: which step runs after which."""

from __future__ import annotations

from collections.abc import Sequence

from uqscale.errors import StudyError
from uqscale.study.model import ModelStep


def step_order(models: Sequence[ModelStep], study_inputs: Sequence[str]) -> tuple[int, ...]:
    """Return the indices of ``models`` in an order where every step's inputs exist.

    Steps keep their declared order wherever the data flow allows (a stable
    topological sort), so a study's results do not depend on how it was written.

    Parameters
    ----------
    models
        The study's model steps, as declared.
    study_inputs
        The names of the study's inputs (what the design provides).

    Returns
    -------
    tuple of int
        Positions in ``models``, in the order to run them.

    Raises
    ------
    StudyError
        For an output declared twice, a name that is both a study input and an
        output, an input nobody provides, or a cycle.

    Examples
    --------
    >>> a = ModelStep("macro", "m:f", inputs=["m", "x3"], outputs=["y"])
    >>> b = ModelStep("micro", "m:g", inputs=["x1"], outputs=["m"])
    >>> step_order([a, b], ["x1", "x3"])
    (1, 0)
    """
    producer: dict[str, int] = {}
    for index, step in enumerate(models):
        for k, name in enumerate(step.output_names):
            path = f"models[{index}].outputs[{k}]"
            if name in study_inputs:
                raise StudyError(path, f"'{name}' is already a study input; rename the output")
            if name in producer:
                other = producer[name]
                raise StudyError(
                    path,
                    f"output '{name}' is also declared by models[{other}] ('{models[other].name}')",
                )
            producer[name] = index
    for index, step in enumerate(models):
        for k, name in enumerate(step.inputs):
            if name not in producer and name not in study_inputs:
                raise StudyError(
                    f"models[{index}].inputs[{k}]",
                    f"unknown input '{name}' (not a study input nor an output of any step)",
                )
    order: list[int] = []
    done: set[int] = set()
    while len(order) < len(models):
        ready = [
            i
            for i in range(len(models))
            if i not in done
            and all(producer.get(n, -1) in done or n in study_inputs for n in models[i].inputs)
        ]
        if not ready:
            cycle = _cycle(models, producer, done)
            names = " -> ".join(models[i].name for i in cycle)
            raise StudyError(
                f"models[{cycle[0]}].inputs", f"the steps {names} depend on each other in a cycle"
            )
        order.append(ready[0])
        done.add(ready[0])
    return tuple(order)


def _cycle(models: Sequence[ModelStep], producer: dict[str, int], done: set[int]) -> list[int]:
    """The steps of one cycle among the steps not yet ordered, in data-flow order,
    starting from the first declared."""

    def upstream(i: int) -> list[int]:
        return [producer[n] for n in models[i].inputs if n in producer and producer[n] not in done]

    # Walk upstream from any stuck step: every stuck step has a stuck producer, so the
    # walk must revisit a step, and the steps since its first visit form a cycle.
    path = [min(i for i in range(len(models)) if i not in done)]
    while (step := upstream(path[-1])[0]) not in path:
        path.append(step)
    cycle = path[path.index(step) :][::-1]
    first = cycle.index(min(cycle))
    return cycle[first:] + cycle[:first]
