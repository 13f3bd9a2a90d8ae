"""``uqscale report DIR [--format md]``: the HTML path, or a Markdown summary."""

from __future__ import annotations

import json

from uqscale.cli import main
from uqscale.report.markdown import markdown_report


def test_report_command_writes_html_and_prints_its_path(failing_run, capsys):
    before = (failing_run / "report.html").stat().st_mtime_ns
    assert main(["report", str(failing_run)]) == 0
    assert capsys.readouterr().out == f"{failing_run / 'report.html'}\n"
    assert (failing_run / "report.html").stat().st_mtime_ns >= before


def test_report_command_prints_markdown(demo_run, capsys):
    assert main(["report", str(demo_run), "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# receptor-uptake\n")
    for heading in (
        "## Study",
        "## Moments and quantiles",
        "## Sensitivity indices",
        "### u_end",
        "## Indices by scale",
        "## Indices over time and space",
        "## Morris screening",
        "## Polynomial chaos quality",
        "## Grey zone",
        "## Verification",
        "## Run",
        "## Provenance",
    ):
        assert f"\n{heading}\n" in text
    assert "1 of 2 verification cases passed" in text
    assert (
        "| input | S1 (pce) | S1 ± (pce) | ST (pce) | ST ± (pce) | S1 (sobol) "
        "| S1 ± (sobol) | ST (sobol) | ST ± (sobol) |"
    ) in text
    assert "data:image" not in text  # figures stay in report.html


def test_markdown_and_html_show_the_same_sections(demo_run):
    from uqscale.report.data import load_run
    from uqscale.report.html import render_html

    data = load_run(demo_run)
    page, text = render_html(data), markdown_report(demo_run)
    titles = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert titles and all(f"<h2>{title}</h2>" in page for title in titles)
    assert page.count("<h2>") == len(titles)


def test_markdown_numbers_are_those_of_indices_json(demo_run):
    text = markdown_report(demo_run)
    indices = json.loads((demo_run / "indices.json").read_text())
    st = indices["outputs"]["flux"]["pce"]["ST"]["k_on"]
    row = next(
        line for line in text.splitlines() if line.startswith("| k_on |") and f"{st:.3g}" in line
    )
    assert row


def test_markdown_lists_every_input_of_a_wide_study(wide_run):
    text = markdown_report(wide_run)
    section = text.split("## Sensitivity indices")[1].split("\n## ")[0]
    assert "figures name the 12 most influential" in section
    table = section.split("**Numbers: indices of y for every input**")[1]
    rows = [line for line in table.splitlines() if line.startswith("| x")]
    assert len(rows) == 50


def test_markdown_of_failures_and_errors(failing_run):
    text = markdown_report(failing_run)
    run = text.split("\n## Run\n")[1]
    assert "RuntimeError" in run
    assert "> Analysis 'sobol' was not computed: sobol:" in run
    assert "## Sensitivity indices" in text and "## Morris" not in text
