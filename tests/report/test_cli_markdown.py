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
    for heading in ("## Inputs", "## Moments", "## Sobol indices: u_end",
                    "## Indices by scale", "## Indices along fields", "## Morris screening",
                    "## Polynomial chaos quality", "## Grey zone",
                    "## Verification: 1 of 2 passed"):
        assert heading in text
    assert "| input | S1 (pce) | ST (pce) | S1 (sobol) | ST (sobol) |" in text


def test_markdown_numbers_are_those_of_indices_json(demo_run):
    text = markdown_report(demo_run)
    indices = json.loads((demo_run / "indices.json").read_text())
    st = indices["outputs"]["flux"]["pce"]["ST"]["k_on"]
    row = next(line for line in text.splitlines() if line.startswith("| k_on |")
               and f"{st:.3g}" in line)
    assert row


def test_markdown_pools_inputs_beyond_the_top_twelve(wide_run):
    text = markdown_report(wide_run)
    table = text.split("## Sobol indices: y")[1].split("##")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    assert len(rows) == 13 and rows[-1].startswith("| 38 others (sum) |")


def test_markdown_of_failures_and_errors(failing_run):
    text = markdown_report(failing_run)
    assert "## Failures" in text and "RuntimeError" in text
    assert "- sobol not computed: sobol:" in text
    assert "## Sobol indices" in text and "## Morris" not in text
