"""Running every analysis of a study on its design and results."""

from __future__ import annotations

import numpy as np
import xarray as xr

from uqscale.analysis import greyzone, method_module
from uqscale.analysis.common import AnalysisError
from uqscale.design import analysis_rng, blocks_of, sweep_offsets
from uqscale.space import InputSpace
from uqscale.study.model import Study

GREYZONE = "greyzone"


def analyze_all(study: Study, design: xr.Dataset, results: xr.Dataset,
                blocks: dict[str, tuple[int, int]] | None = None
                ) -> tuple[dict[str, dict[str, xr.Dataset]], dict[str, str]]:
    """Every analysis on its own block of samples (``blocks``: rows per label, by
    default those recorded in the design), at every spacing of a resolution sweep
    (dim ``resolution``), followed by the grey-zone measures (label ``greyzone``).

    Returns
    -------
    analyses
        ``{label: {output: Dataset}}`` for the analyses that could be computed.
    errors
        ``{label: message}`` for those that could not (too many failed samples, say);
        one analysis failing never hides the others.
    """
    blocks = blocks or blocks_of(design)
    offsets = sweep_offsets(study, design)
    runs = [_analyze_once(study, design, results, blocks, offset) for _, offset in offsets]
    if study.resolution is None:
        return runs[0]
    spacings = xr.DataArray([dx for dx, _ in offsets], dims="resolution", name="resolution")
    analyses: dict[str, dict[str, xr.Dataset]] = {}
    errors: dict[str, str] = {}
    for _, run_errors in runs:
        errors.update(run_errors)
    for analysis in study.analysis:
        if all(analysis.label in found for found, _ in runs):
            analyses[analysis.label] = {
                output: xr.concat([found[analysis.label][output] for found, _ in runs],
                                  dim=spacings, combine_attrs="drop_conflicts")
                for output in runs[0][0][analysis.label]}
    try:
        analyses[GREYZONE] = greyzone.analyze(study, design, results, analyses, blocks,
                                              lambda a: analysis_rng(study, a))
    except AnalysisError as error:
        errors[GREYZONE] = str(error)
    return analyses, errors


def _analyze_once(study: Study, design: xr.Dataset, results: xr.Dataset,
                  blocks: dict[str, tuple[int, int]], offset: int
                  ) -> tuple[dict[str, dict[str, xr.Dataset]], dict[str, str]]:
    space = InputSpace(study.inputs)
    analyses, errors = {}, {}
    for analysis in study.analysis:
        start, stop = blocks[analysis.label]
        rows = slice(start + offset, stop + offset)
        try:
            analyses[analysis.label] = method_module(analysis.method).analyze(
                space, analysis.options, design.isel(sample=rows),
                results.isel(sample=rows), analysis_rng(study, analysis))
        except AnalysisError as error:
            errors[analysis.label] = str(error)
        except np.linalg.LinAlgError as error:
            errors[analysis.label] = f"{analysis.label}: numerical failure ({error})"
    return analyses, errors
