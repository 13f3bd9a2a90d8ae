"""The design of a study: one block of samples per analysis, in one Dataset."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from uqscale.analysis import method_module
from uqscale.sampling import block_rng
from uqscale.space import InputSpace
from uqscale.study.model import Analysis, Study


def block_key(analysis: Analysis) -> str:
    """What identifies an analysis' design: its method and options (not its label)."""
    return json.dumps({"method": analysis.method, **analysis.options}, sort_keys=True,
                      default=list)


def analysis_rng(study: Study, analysis: Analysis) -> np.random.Generator:
    """The stream an analysis samples its design from (and re-draws it from)."""
    return block_rng(study.seed, block_key(analysis))


def reused_block(analysis: Analysis, study: Study) -> Analysis | None:
    """For ``moments`` without ``n``: the first other analysis whose design rows are
    draws from the joint distribution, whose samples it then reuses."""
    if analysis.method != "moments" or analysis.options.get("n"):
        return None
    for other in study.analysis:
        if other is not analysis and other.method != "moments" and \
                method_module(other.method).IID:
            return other
    return None


def build_design(study: Study) -> xr.Dataset:
    """Every analysis' design stacked along ``sample``.

    Returns
    -------
    xarray.Dataset
        One variable per input over dim ``sample``; attribute ``blocks`` is JSON
        mapping each analysis label to the ``[start, stop)`` of its rows.
    """
    space = InputSpace(study.inputs)
    parts, blocks, start = [], {}, 0
    for analysis in study.analysis:
        if reused_block(analysis, study) is None:
            rows = method_module(analysis.method).sample(space, analysis.options,
                                                         analysis_rng(study, analysis))
            parts.append(rows)
            blocks[analysis.label] = [start, start + len(rows)]
            start += len(rows)
    for analysis in study.analysis:
        source = reused_block(analysis, study)
        if source is not None:
            blocks[analysis.label] = blocks[source.label]
    values = np.concatenate(parts)
    design = xr.Dataset({name: ("sample", values[:, j]) for j, name in enumerate(space.names)},
                        coords={"sample": np.arange(len(values))})
    design.attrs["blocks"] = json.dumps(blocks)
    return design


def blocks_of(design: xr.Dataset) -> dict[str, tuple[int, int]]:
    """Each analysis label's ``(start, stop)`` rows in ``design``."""
    return {k: tuple(v) for k, v in json.loads(design.attrs["blocks"]).items()}
