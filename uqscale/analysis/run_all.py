"""Running every analysis of a study on its design and results, into one labelled tree.

The result is an :class:`xarray.DataTree` (what ``analyses.nc`` stores, what
``indices.json`` and the report read):

``/``
    attr ``errors``: JSON text ``{label: message}`` of the analyses that could not be
    computed (too many failed samples, say), read by :func:`errors_of`; one analysis
    failing never hides the others;
``/LABEL``
    one node per analysis computed, in study order (then ``/greyzone`` after a
    resolution sweep), attrs ``method`` (its name), ``options`` (the resolved
    options, JSON text) and ``block`` (``[start, stop)`` of its rows in the design,
    the first copy of it in a sweep);
``/LABEL/OUTPUT``
    the method's Dataset for that output (its own attrs: ``n_used``, ``n_failed`` ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import xarray as xr

from uqscale.analysis.common import AnalysisError, PartialAnalysisError
from uqscale.analysis.dims import RESOLUTION
from uqscale.analysis.registry import METHODS, derived
from uqscale.design import analysis_rng, blocks_of, sweep_offsets
from uqscale.space import InputSpace
from uqscale.study.model import Study

Found = dict[str, dict[str, xr.Dataset]]
"""``{label: {output: Dataset}}`` while the tree is being built."""


def analyze_all(
    study: Study,
    design: xr.Dataset,
    results: xr.Dataset,
    blocks: dict[str, tuple[int, int]] | None = None,
) -> xr.DataTree:
    """Every analysis on its own block of samples, at every spacing of a resolution
    sweep (dim ``resolution``), followed by the analyses uqscale derives (grey zone).

    Parameters
    ----------
    study
        The study whose analyses to run.
    design, results
        The design (variables per input over ``sample``) and the outputs.
    blocks
        Rows per label; by default those recorded in the design.

    Returns
    -------
    xarray.DataTree
        A node per analysis and output (see the module docstring);
        :func:`errors_of` lists the analyses that could not be computed.
    """
    blocks = blocks or blocks_of(design)
    offsets = sweep_offsets(study, design)
    runs = [_analyze_once(study, design, results, blocks, offset) for _, offset in offsets]
    errors: dict[str, str] = {}
    for _, run_errors in runs:
        errors.update(run_errors)
    if study.resolution is None:
        found = runs[0][0]
    else:
        found = _stack_sweep(study, runs, [dx for dx, _ in offsets])
        for method in derived().values():
            try:
                found[method.name] = method.analyze(
                    study, design, results, found, blocks, lambda a: analysis_rng(study, a)
                )
            except AnalysisError as error:
                errors[method.name] = str(error)
    return _tree(study, found, errors, blocks)


def errors_of(tree: xr.DataTree) -> dict[str, str]:
    """``{label: message}`` of the analyses that could not be computed."""
    return dict(json.loads(tree.attrs.get("errors", "{}")))


def datasets(tree: xr.DataTree) -> dict[str, dict[str, xr.Dataset]]:
    """``{label: {output: Dataset}}`` of the analyses, in tree order."""
    return {
        str(label): {str(output): leaf.to_dataset() for output, leaf in node.children.items()}
        for label, node in tree.children.items()
    }


def _stack_sweep(
    study: Study, runs: list[tuple[Found, dict[str, str]]], spacings: list[float | None]
) -> Found:
    """Each analysis found at every spacing, concatenated along ``resolution``."""
    along = xr.DataArray(spacings, dims=RESOLUTION, name=RESOLUTION)
    found: Found = {}
    for analysis in study.analysis:
        if all(analysis.label in run for run, _ in runs):
            found[analysis.label] = {  # outputs estimated at every spacing
                output: xr.concat(
                    [run[analysis.label][output] for run, _ in runs],
                    dim=along,
                    combine_attrs="drop_conflicts",
                )
                for output in runs[0][0][analysis.label]
                if all(output in run[analysis.label] for run, _ in runs)
            }
    return found


def _analyze_once(
    study: Study,
    design: xr.Dataset,
    results: xr.Dataset,
    blocks: dict[str, tuple[int, int]],
    offset: int,
) -> tuple[Found, dict[str, str]]:
    space = InputSpace.of(study)
    found: Found = {}
    errors: dict[str, str] = {}
    for analysis in study.analysis:
        start, stop = blocks[analysis.label]
        rows = slice(start + offset, stop + offset)
        try:
            found[analysis.label] = METHODS[analysis.method].analyze(
                space,
                analysis.options,
                design.isel(sample=rows),
                results.isel(sample=rows),
                analysis_rng(study, analysis),
            )
        except PartialAnalysisError as partial:  # some outputs only
            found[analysis.label] = partial.found
            errors[analysis.label] = str(partial)
        except AnalysisError as error:
            errors[analysis.label] = str(error)
        except np.linalg.LinAlgError as error:
            errors[analysis.label] = f"{analysis.label}: numerical failure ({error})"
    return found, errors


def _block(
    label: str, found: Found, blocks: Mapping[str, tuple[int, int]]
) -> tuple[int, int] | None:
    """The rows an analysis read: its own block, or its source's (grey zone)."""
    if label in blocks:
        return blocks[label]
    first = next(iter(found.get(label, {}).values()), None)
    return blocks.get(first.attrs.get("source", "")) if first is not None else None


def _tree(
    study: Study, found: Found, errors: Mapping[str, str], blocks: Mapping[str, tuple[int, int]]
) -> xr.DataTree:
    """The labelled tree (``found`` is in study order, the derived analyses last)."""
    listed = {a.label: (a.method, dict(a.options)) for a in study.analysis}
    tree = xr.DataTree()
    tree.attrs["errors"] = json.dumps(dict(errors))
    for label, by_output in found.items():
        method, options = listed.get(label, (label, {}))
        attrs: dict[str, object] = {"method": method, "options": json.dumps(options, default=list)}
        rows = _block(label, found, blocks)
        if rows is not None:
            attrs["block"] = [int(rows[0]), int(rows[1])]
        node = xr.DataTree(name=label)
        node.attrs = attrs
        node.children = {
            output: xr.DataTree(dataset, name=output) for output, dataset in by_output.items()
        }
        tree[label] = node
    return tree
