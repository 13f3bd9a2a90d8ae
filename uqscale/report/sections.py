"""The report's model: every section, built once as renderer-neutral blocks
(:mod:`uqscale.report.blocks`), in reading order. HTML (:mod:`uqscale.report.html`)
and Markdown (:mod:`uqscale.report.markdown`) only render them.

The sections of an analysis method are declared by the method
(:attr:`uqscale.analysis.method.Method.sections`); the sections every index-giving
method shares (Sobol indices, scale groups, fields) and those about the study and the
run are placed around them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from uqscale.analysis.method import Method, SectionSpec
from uqscale.analysis.registry import METHODS, derived
from uqscale.report import about, assimilation, results
from uqscale.report.blocks import Note, Section
from uqscale.report.data import RunData
from uqscale.report.look import Look

Build = Callable[[], Section | None]


def _common(data: RunData, look: Look) -> list[tuple[int, str, str, Build]]:
    """Sections that do not belong to one method: ``(place, id, title, build)``."""
    from uqscale.report.graph import model_graph

    def study() -> Section:
        return about.study_section(
            data, lambda: model_graph(data.study, data.groups, look.groups), look.groups
        )

    return [
        (0, "study", "Study", study),
        (20, "sensitivity", "Sensitivity indices", lambda: results.sensitivity_section(data, look)),
        (30, "scales", "Indices by scale", lambda: results.scales_section(data, look)),
        (40, "fields", "Indices over time and space", lambda: results.fields_section(data, look)),
        (70, "assimilation", "Data assimilation", lambda: assimilation.section(data, look)),
        (80, "verification", "Verification", lambda: about.verification_section(data)),
        (90, "run", "Run", lambda: about.run_section(data)),
        (100, "provenance", "Provenance", lambda: about.provenance_section(data)),
    ]


def _of_methods(data: RunData, look: Look) -> list[tuple[int, str, str, Build]]:
    """The sections the methods of the run's analyses declare."""
    used = [m for m in (*METHODS.values(), *derived().values()) if m in data.methods.values()]

    def build(method: Method, spec: SectionSpec) -> Build:
        return lambda: spec.build(data, look, data.of_method(method))

    return [
        (spec.place, spec.id, spec.title, build(method, spec))
        for method in used
        for spec in method.sections
    ]


def report_sections(data: RunData, draw: bool = True) -> list[Section]:
    """Every section with something to show, in reading order.

    Parameters
    ----------
    data
        The run.
    draw
        Draw the figures now (for HTML); without, they are drawn when first shown.

    Returns
    -------
    list of Section
        A section that fails to build or draw (an analysis of a shape it does not
        know, say) becomes a note saying why, with a warning; the other sections are
        unaffected.
    """
    look = Look.of(data)
    present = []
    for _, key, title, build in sorted(
        _common(data, look) + _of_methods(data, look), key=lambda item: item[0]
    ):
        try:
            section = build()
            for block in section.blocks if section is not None and draw else ():
                getattr(block, "uri", None)  # draws a figure, here where errors are caught
        except Exception as error:  # one bad section must not cost the whole report
            reason = f"{type(error).__name__}: {error}"
            warnings.warn(
                f"{data.directory}: report section '{title}' not drawn ({reason})",
                UserWarning,
                stacklevel=2,
            )
            section = Section(key, title, blocks=[Note(f"Not drawn: {reason}", "bad")])
        if section is not None:
            present.append(section)
    return present
