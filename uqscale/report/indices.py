"""``indices.json``: the machine-readable summary other tools read.

Shape (a public contract, schema in ``docs/indices.schema.json``)::

    {"format": 1,
     "study": NAME,
     "samples": N, "failed": F,
     "outputs": {OUTPUT: {METHOD: {"mean": m, "variance": v,
                                   "S1": {INPUT: x}, "ST": {INPUT: x},
                                   "S1_conf": {...}, "ST_conf": {...},
                                   "S2": {"A|B": x},
                                   "groups": {"S1": {GROUP: x}, "ST": {GROUP: x}},
                                   ...}}},
     "errors": {METHOD: message}}

METHOD is the analysis label (its method name unless labelled). Each key is present
where the method gives it (each method renders its own entries:
:attr:`uqscale.analysis.method.Method.entry`). For a field output every value is a
list over the field's points and ``"coords"`` holds the coordinate values.
``"format"`` counts incompatible changes of this shape (keys are only ever added).
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from uqscale.analysis.registry import method_of
from uqscale.analysis.run_all import errors_of

FORMAT = 1
"""The version of the indices.json shape."""


def indices_document(
    study_name: str, samples: int, failed: int, tree: xr.DataTree
) -> dict[str, Any]:
    """The whole indices.json document.

    Parameters
    ----------
    study_name
        The study's name.
    samples, failed
        Samples in the design, and how many failed.
    tree
        The analyses, as :func:`uqscale.analysis.run_all.analyze_all` returns them.

    Returns
    -------
    dict
        The document, ready for ``json.dump``.
    """
    outputs: dict[str, dict[str, Any]] = {}
    for label, node in tree.children.items():
        method = method_of(str(node.attrs.get("method", label)))
        for output, leaf in node.children.items():
            outputs.setdefault(str(output), {})[str(label)] = method.entry(leaf.to_dataset())
    document: dict[str, Any] = {
        "format": FORMAT,
        "study": study_name,
        "samples": samples,
        "failed": failed,
        "outputs": outputs,
    }
    errors = errors_of(tree)
    if errors:
        document["errors"] = errors
    return document
