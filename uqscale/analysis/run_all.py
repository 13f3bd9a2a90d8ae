"""Running every analysis of a study on its design and results."""

from __future__ import annotations

import numpy as np
import xarray as xr

from uqscale.analysis import method_module
from uqscale.analysis.common import AnalysisError
from uqscale.design import analysis_rng, blocks_of
from uqscale.space import InputSpace
from uqscale.study.model import Study


def analyze_all(study: Study, design: xr.Dataset, results: xr.Dataset,
                blocks: dict[str, tuple[int, int]] | None = None
                ) -> tuple[dict[str, dict[str, xr.Dataset]], dict[str, str]]:
    """Every analysis on its own block of samples (``blocks``: rows per label, by
    default those recorded in the design).

    Returns
    -------
    analyses
        ``{label: {output: Dataset}}`` for the analyses that could be computed.
    errors
        ``{label: message}`` for those that could not (too many failed samples, say);
        one analysis failing never hides the others.
    """
    space = InputSpace(study.inputs)
    blocks = blocks or blocks_of(design)
    analyses, errors = {}, {}
    for analysis in study.analysis:
        rows = slice(*blocks[analysis.label])
        try:
            analyses[analysis.label] = method_module(analysis.method).analyze(
                space, analysis.options, design.isel(sample=rows),
                results.isel(sample=rows), analysis_rng(study, analysis))
        except AnalysisError as error:
            errors[analysis.label] = str(error)
        except np.linalg.LinAlgError as error:
            errors[analysis.label] = f"{analysis.label}: numerical failure ({error})"
    return analyses, errors
