"""``report.html``: one self-contained page per run (figures embedded as SVG ``data:``
URIs, styles inline, no script, nothing fetched), rebuilt from the run folder alone.

>>> from uqscale.report.html import write_report          # doctest: +SKIP
>>> write_report("runs/ishigami")                          # doctest: +SKIP
PosixPath('runs/ishigami/report.html')
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

from uqscale.report import about, quality, results
from uqscale.report.blocks import Note, Section
from uqscale.report.data import RunData, load_run
from uqscale.store import write_text

REPORT_FILE = "report.html"
TEMPLATE = "template.html.j2"


def report_sections(data: RunData) -> list[Section]:
    """Every section with something to show, in reading order.

    A section that fails to draw (an analysis of a shape it does not know, say) becomes
    a note saying why, with a warning; the other sections are unaffected.
    """
    from uqscale.report.graph import model_graph

    look = results.Look.of(data)
    builders: list[tuple[str, str, Callable[[], Section | None]]] = [
        ("study", "Study", lambda: about.study_section(
            data, model_graph(data.study, data.groups, look.groups), look.groups)),
        ("moments", "Moments and quantiles", lambda: results.moments_section(data)),
        ("sensitivity", "Sensitivity indices", lambda: results.sensitivity_section(data, look)),
        ("scales", "Indices by scale", lambda: results.scales_section(data, look)),
        ("fields", "Indices over time and space", lambda: results.fields_section(data, look)),
        ("morris", "Morris screening", lambda: quality.morris_section(data, look)),
        ("greyzone", "Grey zone", lambda: quality.greyzone_section(data, look)),
        ("pce", "Polynomial chaos quality", lambda: quality.pce_section(data, look)),
        ("verification", "Verification", lambda: about.verification_section(data)),
        ("run", "Run", lambda: about.run_section(data)),
        ("provenance", "Provenance", lambda: about.provenance_section(data)),
    ]
    present = []
    for key, title, build in builders:
        try:
            section = build()
        except Exception as error:   # one bad section must not cost the whole report
            reason = f"{type(error).__name__}: {error}"
            warnings.warn(f"{data.directory}: report section '{title}' not drawn ({reason})",
                          UserWarning, stacklevel=2)
            section = Section(key, title, blocks=[Note(f"Not drawn: {reason}", "bad")])
        if section is not None:
            present.append(section)
    if len(data.study.inputs) > results.TOP + 1:
        for section in present:
            if section.id in ("sensitivity", "morris"):
                section.blocks.insert(0, results.top_note(len(data.study.inputs)))
    return present


def render_html(data: RunData) -> str:
    """The report of ``data`` as one HTML document."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent), autoescape=True,
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    finished = about.stamp(data.provenance.get("finished") or data.provenance.get("started"))
    return environment.get_template(TEMPLATE).render(
        study=data.study, sections=report_sections(data),
        cards=about.summary_cards(data), finished=finished,
        built=time.strftime("%Y-%m-%d %H:%M"))


def write_report(directory: str | Path) -> Path:
    """Build ``DIRECTORY/report.html`` from a finished run folder and return its path.

    Raises
    ------
    UqscaleError
        When ``directory`` is not a run folder or has no analyses yet.
    """
    data = load_run(directory)
    path = data.directory / REPORT_FILE
    write_text(path, render_html(data))
    return path


def report_after_run(directory: str | Path) -> Path | None:
    """:func:`write_report` for the end of a run: a failure to draw warns (saying how to
    retry) instead of failing a run whose results are already stored."""
    try:
        return write_report(directory)
    except Exception as error:   # a plotting bug must not cost the run
        warnings.warn(f"{directory}: report.html not written ({type(error).__name__}: "
                      f"{error}); rebuild it with `uqscale report {directory}`",
                      UserWarning, stacklevel=2)
        return None
