"""``report.html``: one self-contained page per run (figures embedded as SVG ``data:``
URIs, styles inline, no script, nothing fetched), rebuilt from the run folder alone.

>>> from uqscale.report.html import write_report          # doctest: +SKIP
>>> write_report("runs/ishigami")                          # doctest: +SKIP
PosixPath('runs/ishigami/report.html')
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from uqscale.report import about
from uqscale.report.data import RunData, load_run
from uqscale.report.sections import report_sections
from uqscale.store import write_text

REPORT_FILE = "report.html"
TEMPLATE = "template.html.j2"


def render_html(data: RunData) -> str:
    """The report of ``data`` as one HTML document."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    finished = about.stamp(data.provenance.get("finished") or data.provenance.get("started"))
    return environment.get_template(TEMPLATE).render(
        study=data.study,
        sections=report_sections(data),
        cards=about.summary_cards(data),
        finished=finished,
        built=time.strftime("%Y-%m-%d %H:%M"),
    )


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
    except Exception as error:  # a plotting bug must not cost the run
        warnings.warn(
            f"{directory}: report.html not written ({type(error).__name__}: "
            f"{error}); rebuild it with `uqscale report {directory}`",
            UserWarning,
            stacklevel=2,
        )
        return None
