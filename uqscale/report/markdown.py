"""A Markdown summary of a finished run, for a terminal or a lab notebook
(``uqscale report DIR --format md``): the report's sections
(:func:`uqscale.report.sections.report_sections`) rendered as text, tables as
GitHub-flavoured Markdown; figures are left to report.html (and never drawn)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from uqscale.report.about import stamp, where
from uqscale.report.blocks import (
    Block,
    Cards,
    Cell,
    Heading,
    Note,
    Section,
    Table,
    duration,
    number,
)
from uqscale.report.data import RunData, load_run, wall_seconds
from uqscale.report.look import sweep_note
from uqscale.report.sections import report_sections


def md_table(
    head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()
) -> str:
    """A GitHub-flavoured Markdown table (numeric columns right-aligned).

    Parameters
    ----------
    head
        Column names.
    rows
        Cells, as text.
    numeric
        Columns to right-align.

    Returns
    -------
    str
        The table.

    Examples
    --------
    >>> print(md_table(["input", "ST"], [["x1", "0.56"]], numeric=[1]))
    | input | ST |
    | --- | ---: |
    | x1 | 0.56 |
    """

    def line(cells: Sequence[str]) -> str:
        return (
            "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )

    rule = ["---:" if k in numeric else "---" for k in range(len(head))]
    return "\n".join([line(head), "| " + " | ".join(rule) + " |", *map(line, rows)])


def markdown_report(directory: str | Path) -> str:
    """The Markdown summary of the run folder ``directory``."""
    return markdown_text(load_run(directory))


def markdown_text(data: RunData) -> str:
    """The Markdown summary of a loaded run."""
    parts = [_head(data), *(render_section(s) for s in report_sections(data, draw=False))]
    report = data.directory / "report.html"
    if report.is_file():
        parts.append(f"Figures: {report}")
    return "\n\n".join(p for p in parts if p) + "\n"


def _head(data: RunData) -> str:
    study, indices = data.study, data.indices
    line = (
        f"**{number(indices.get('samples', 0))} samples**, {number(indices.get('failed', 0))}"
        f" failed · {duration(wall_seconds(data.provenance))} on {where(data)} · finished "
        f"{stamp(data.provenance.get('finished'))} · seed {study.seed}"
    )
    description = " ".join(study.description.split())
    return "\n\n".join(
        p for p in (f"# {study.name}", description, line, sweep_note(data).strip()) if p
    )


def render_section(section: Section) -> str:
    """One section: its title, lead and every block but figures."""
    parts = [f"## {section.title}", section.lead if section.id != "study" else ""]
    parts += [_block(block) for block in section.blocks]
    return "\n\n".join(p for p in parts if p)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"### {block.text}"
    if isinstance(block, Note):
        return f"> {block.text}"
    if isinstance(block, Cards):
        return " · ".join(f"**{label}** {value}" for label, value, _ in block.items)
    if isinstance(block, Table):
        width = max([len(block.head), *(len(r) for r in block.rows)])
        head = block.head or [""] * width
        rows = [[_cell(c) for c in row] + [""] * (len(head) - len(row)) for row in block.rows]
        title = f"**{block.collapsed}**" if block.collapsed else ""
        return "\n\n".join(
            p
            for p in (
                title,
                md_table(head, rows, block.numeric),
                f"*{block.caption}*" if block.caption else "",
            )
            if p
        )
    return ""  # figures are in report.html


def _cell(cell: Cell) -> str:
    return cell if isinstance(cell, str) else cell.text
