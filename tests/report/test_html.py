"""report.html: built by every run, self-contained, sections only for what exists,
readable with many inputs and long fields."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser

import pytest

from uqscale.report.html import REPORT_FILE, report_after_run, write_report


class Page(HTMLParser):
    """What the tests look at in a report: section ids, images, tables, links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[dict[str, str]] = []
        self.table_rows: list[int] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self.table_rows.append(0)
        elif tag == "tr":
            self.table_rows[-1] += 1
        self.urls += [v for k, v in attrs.items() if k in ("src", "href") and v]


def page(directory) -> tuple[str, Page]:
    text = (directory / REPORT_FILE).read_text(encoding="utf-8")
    return text, Page(text)


def test_every_run_writes_a_self_contained_report(failing_run):
    # make_run ends with uqscale.api.analyze, which builds the report like a run does.
    text, html = page(failing_run)
    assert html.images and all(
        i["src"].startswith("data:image/svg+xml;base64,") for i in html.images
    )
    assert all(u.startswith(("data:", "#")) for u in html.urls), html.urls
    assert not {"script", "link", "iframe"} & html.tags
    assert not re.search(r"https?://", text.split("<footer>")[0].replace("http://www.w3.org", ""))


def test_sections_follow_the_analyses_present(demo_run, failing_run):
    _, demo = page(demo_run)
    assert demo.sections == [
        "study",
        "moments",
        "sensitivity",
        "scales",
        "fields",
        "morris",
        "greyzone",
        "pce",
        "verification",
        "run",
        "provenance",
    ]
    _, flaky = page(failing_run)
    # One scale group, no field, no Morris, no grey zone, no verification: left out.
    assert flaky.sections == ["study", "moments", "sensitivity", "pce", "run", "provenance"]


def test_failures_and_analyses_not_computed_are_explained(failing_run):
    text, _ = page(failing_run)
    assert "RuntimeError" in text and "solver diverged" in text
    assert "Analysis &#39;sobol&#39; was not computed" in text
    assert "failed sample" in text


def test_demo_report_shows_study_run_and_verification(demo_run):
    text, _ = page(demo_run)
    assert "log-normal, μ 0, σ 0.3 (of the logarithm)" in text
    assert "normal, mean 1, std 0.2, truncated to [0.3, 2]" in text
    assert "1 of 2 verification cases passed" in text and "FAIL" in text
    assert "Grey zone of u_end: spacings" in text
    assert "convergence of u_end" in text  # the pce Dataset with a runs dim
    assert "local Dask, 1 worker" in text
    # Four scalar outputs: an overview matrix, and the scale groups as one matrix.
    assert 'alt="overview of total indices"' in text
    assert 'alt="indices of every output by scale"' in text
    assert 'alt="indices of u_end by scale"' not in text


def test_fifty_inputs_show_the_top_ones_and_pool_the_rest(wide_run):
    text, html = page(wide_run)
    assert "The 38 least influential inputs are pooled in one grey bar" in text
    assert "figures name the 12 most influential" in text
    # Every input is still in the (folded) numbers table and the inputs table.
    assert max(html.table_rows) == 51


def test_a_thousand_point_field_is_a_line_plot_not_a_table(field_run):
    text, html = page(field_run)
    assert "at each of its 1,000 points along s" in text
    assert any(i["alt"] == "indices of f along s" for i in html.images)
    assert any(i["alt"] == "f along s" for i in html.images)
    assert max(html.table_rows) < 20


def test_report_rebuilds_from_the_folder_alone(failing_run):
    path = failing_run / REPORT_FILE
    path.unlink()
    assert write_report(failing_run) == path and path.is_file()


def test_a_drawing_failure_warns_instead_of_failing_the_run(failing_run, monkeypatch):
    from uqscale.report import html

    def broken(data):
        raise ValueError("no ink")

    monkeypatch.setattr(html, "render_html", broken)
    with pytest.warns(UserWarning, match="report.html not written .*no ink.*uqscale report"):
        assert report_after_run(failing_run) is None


def test_a_section_that_cannot_be_drawn_becomes_a_note(failing_run, monkeypatch):
    from uqscale.report import html, moments

    def broken(data, look, found):
        raise KeyError("quantile")

    monkeypatch.setattr(moments, "moments_section", broken)
    with pytest.warns(UserWarning, match="section 'Moments and quantiles' not drawn"):
        text = html.render_html(html.load_run(failing_run))
    assert "Not drawn: KeyError: &#39;quantile&#39;" in text
    assert 'id="sensitivity"' in text


def test_not_a_finished_run_is_a_clear_error(tmp_path, failing_run):
    from uqscale.errors import UqscaleError

    with pytest.raises(UqscaleError, match="not a uqscale run folder"):
        write_report(tmp_path)
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("study.yaml", "design.nc", "provenance.json"):
        (bare / name).write_bytes((failing_run / name).read_bytes())
    with pytest.raises(UqscaleError, match="no analyses yet; finish the run"):
        write_report(bare)


def test_importing_the_report_modules_loads_no_plotting_library():
    import subprocess

    code = (
        "import sys, uqscale.cli, uqscale.report.html, uqscale.report.markdown; "
        "print(sorted({'matplotlib', 'jinja2'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
