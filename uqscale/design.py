"""The design of a study: one block of samples per analysis, in one Dataset."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from uqscale.analysis.registry import METHODS
from uqscale.discrete import CATEGORIES
from uqscale.errors import StudyError
from uqscale.sampling import block_rng
from uqscale.space import InputSpace
from uqscale.study.model import Analysis, Study


def block_key(analysis: Analysis) -> str:
    """What identifies an analysis' design: its method and the options its sampling
    reads (the method's ``sampling``), not its label nor options that only change the
    estimates (confidence levels, solvers)."""
    sampling = METHODS[analysis.method].sampling_options(analysis.options)
    return json.dumps({"method": analysis.method, **sampling}, sort_keys=True, default=list)


def analysis_rng(study: Study, analysis: Analysis) -> np.random.Generator:
    """The stream an analysis samples its design from (and re-draws it from).

    Parameters
    ----------
    study
        The study (its seed).
    analysis
        One of its analyses.

    Returns
    -------
    numpy.random.Generator
        A fresh generator on the block's stream.
    """
    return block_rng(study.seed, block_key(analysis))


def reuses_samples(analysis: Analysis, study: Study) -> bool:
    """Whether ``analysis`` reuses another block.

    Parameters
    ----------
    analysis
        One of the study's analyses.
    study
        The study.

    Returns
    -------
    bool
        Whether its method ``reuses`` (moments without ``n``) and another analysis
        draws from the joint distribution.
    """
    return METHODS[analysis.method].reuses(analysis.options) and any(
        _draws_from_joint(other) for other in study.analysis
    )


def _draws_from_joint(analysis: Analysis) -> bool:
    return METHODS[analysis.method].iid(analysis.options)


def build_design(study: Study) -> xr.Dataset:
    """Every analysis' design stacked along ``sample``.

    Returns
    -------
    xarray.Dataset
        One variable per input over dim ``sample``; attribute ``blocks`` is JSON
        mapping each analysis label to the ``[start, stop)`` of its rows. A string
        categorical input's variable holds codes, its values in the JSON attribute
        ``categories`` (:mod:`uqscale.discrete`).

    Raises
    ------
    StudyError
        If the study names no analysis: nothing says which samples to run.
    """
    if not study.analysis:
        raise StudyError(
            "analysis",
            f"study '{study.name}' names no analysis, so nothing says which samples "
            "to run; add one, e.g. 'analysis: [{method: moments, n: 1000}]'",
        )
    space = InputSpace.of(study)
    parts, blocks, start = [], {}, 0
    for analysis in study.analysis:
        if not reuses_samples(analysis, study):
            sample = METHODS[analysis.method].sample
            assert sample is not None, f"{analysis.method} draws no samples of its own"
            rows = sample(space, analysis.options, analysis_rng(study, analysis))
            parts.append(rows)
            blocks[analysis.label] = [start, start + len(rows)]
            start += len(rows)
    # Reuse the largest design (the best estimates), ties broken by label: the choice
    # does not depend on the order the analyses are listed in.
    candidates = [a.label for a in study.analysis if _draws_from_joint(a)]
    largest = min(
        candidates, key=lambda label: (blocks[label][0] - blocks[label][1], label), default=None
    )
    for analysis in study.analysis:
        if reuses_samples(analysis, study):
            assert largest is not None, "a reusing analysis implies a block to reuse"
            blocks[analysis.label] = blocks[largest]
    values = np.concatenate(parts)
    if study.resolution is not None:
        # Paired samples: the same design at every spacing, spacing by spacing.
        spacings = np.asarray(study.resolution.spacings())
        sweep = np.repeat(spacings, len(values))
        values = np.tile(values, (len(spacings), 1))
    design = xr.Dataset(
        {name: ("sample", values[:, j]) for j, name in enumerate(space.names)},
        coords={"sample": np.arange(len(values))},
    )
    if study.resolution is not None:
        design[study.resolution.parameter] = ("sample", sweep)
    for name, categories in space.categories.items():
        design[name].attrs[CATEGORIES] = json.dumps(categories)
    design.attrs["blocks"] = json.dumps(blocks)
    return design


def design_columns(study: Study) -> tuple[str, ...]:
    """The design's variables the models read: the inputs, and the swept parameter."""
    swept = (study.resolution.parameter,) if study.resolution is not None else ()
    return (*study.input_names, *swept)


def sweep_offsets(study: Study, design: xr.Dataset) -> list[tuple[float | None, int]]:
    """Where each copy of the design starts, in a resolution sweep.

    Parameters
    ----------
    study
        The study.
    design
        Its design.

    Returns
    -------
    list of tuple
        ``(spacing, first row)`` of each copy; one ``(None, 0)`` without a sweep.
    """
    if study.resolution is None:
        return [(None, 0)]
    spacings = study.resolution.spacings()
    size = design.sizes["sample"] // len(spacings)
    return [(dx, k * size) for k, dx in enumerate(spacings)]


def blocks_of(design: xr.Dataset) -> dict[str, tuple[int, int]]:
    """Each analysis label's ``(start, stop)`` rows in ``design``."""
    return {k: tuple(v) for k, v in json.loads(design.attrs["blocks"]).items()}


def blocks_for(study: Study, stored: Study, design: xr.Dataset) -> dict[str, tuple[int, int]]:
    """Rows for each analysis of ``study`` in the design drawn for ``stored``: its own
    block where an analysis of the same method and options was run; else, for methods
    that take any i.i.d. rows (moments, regression pce), the largest block drawn from
    the joint distribution.

    Parameters
    ----------
    study
        The study whose analyses to place.
    stored
        The study the run's design was drawn for.
    design
        That design.

    Returns
    -------
    dict
        ``{label: (start, stop)}``.

    Raises
    ------
    UqscaleError
        For an analysis that needs a design of its own the run does not hold.
    """
    from uqscale.errors import UqscaleError

    blocks = blocks_of(design)
    stored_keys = {block_key(a): a.label for a in stored.analysis}
    joint = [a.label for a in stored.analysis if _draws_from_joint(a)]
    largest = min(
        joint, key=lambda label: (blocks[label][0] - blocks[label][1], label), default=None
    )
    rows = {}
    for analysis in study.analysis:
        if block_key(analysis) in stored_keys:
            rows[analysis.label] = blocks[stored_keys[block_key(analysis)]]
        elif largest and METHODS[analysis.method].takes_any_iid(analysis.options):
            rows[analysis.label] = blocks[largest]
        else:
            raise UqscaleError(
                f"analysis '{analysis.label}' needs a design this run does not "
                f"hold; add it to the study and run it (resume computes only "
                f"the new samples)"
            )
    return rows
