"""Pages that cannot drift from the code: the study-file reference is read from the
option tables validation uses, a page per study is built from its study file, and
examples run at build time (a failing example fails the build)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
STUDIES = ROOT / "studies"
STUDY_INDICES = ROOT / "docs" / "studies" / "indices"
"""Indices of real runs of the library's studies (``benchmarks/study_figures.py``)."""
EXAMPLE_TIMEOUT = 600  # seconds: an example that hangs fails the build


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    """A docutils table of literal-free text cells."""
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in header]
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [header]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for text in cells_of_row:
                entry = nodes.entry()
                entry += nodes.paragraph(text=text)
                row += entry
            target += row
    return table


def _default(value: Any) -> str:
    from uqscale.analysis.method import REQUIRED

    if value is REQUIRED:
        return "required"
    return "depends on the study" if value is None else repr(value)


class MethodOptions(SphinxDirective):
    """A table per analysis method: every option, its default and what it does, from
    the options dataclass the study loader validates against."""

    def run(self) -> list[nodes.Node]:
        from uqscale.analysis.fielddocs import field_docs
        from uqscale.analysis.registry import METHODS

        found: list[nodes.Node] = []
        for name, method in METHODS.items():
            section = nodes.section(ids=[f"method-{name}"])
            section += nodes.title(text=f"method: {name}")
            if method.options.__doc__:
                section += nodes.paragraph(text=" ".join(method.options.__doc__.split()))
            docs = field_docs(method.options)
            section += _table(
                ["option", "default", "meaning"],
                [
                    [f.name, _default(f.default), docs.get(f.name, "")]
                    for f in dataclasses.fields(method.options)
                ],
            )
            found.append(section)
        return found


class Distributions(SphinxDirective):
    """The distribution families and their parameters, from the validation table."""

    def run(self) -> list[nodes.Node]:
        from uqscale.distributions import FAMILIES

        return [
            _table(
                ["distribution", "required", "optional"],
                [
                    [name, ", ".join(f.required), ", ".join(f.optional) or "-"]
                    for name, f in FAMILIES.items()
                ],
            )
        ]


class Example(SphinxDirective):
    """Run a script from ``docs/examples`` in a fresh folder; show it and its output."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        script = Path(self.env.srcdir) / "examples" / self.arguments[0]
        self.env.note_dependency(str(script))
        source = script.read_text()
        output = run_example(script)
        return [
            nodes.literal_block(source, source, language="python"),
            nodes.literal_block(output, output, language="text"),
        ]


@functools.cache
def run_example(script: Path) -> str:
    """Run ``script`` with the source tree importable (once per build, however many
    pages show it); its output, or ExtensionError."""
    environment = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    }
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, str(script)],
            cwd=folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=EXAMPLE_TIMEOUT,
        )
    if done.returncode != 0:
        raise ExtensionError(
            f"example {script.name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _readme_section(name: str) -> str:
    """The section of studies/README.md whose heading names the study, if any."""
    text = (STUDIES / "README.md").read_text()
    found = re.search(
        rf"^(#+) [^\n]*`{re.escape(name)}`[^\n]*\n(.*?)(?=^#{{1,3}} |\Z)", text, flags=re.M | re.S
    )
    return found.group(2).strip() if found else ""


def study_page(path: Path) -> str:
    """A Markdown page for one study file: its question, scales, models and checks."""
    data = yaml.safe_load(path.read_text())
    lines = [
        f"# {data['study']}",
        "",
        (data.get("description") or "").strip(),
        "",
        f"Study file: `studies/{path.name}`; run it with `uqscale run studies/{path.name}`.",
        "",
        "## Inputs",
        "",
        "| input | distribution | scale | units |",
        "| --- | --- | --- | --- |",
    ]
    for name, spec in data["inputs"].items():
        params = ", ".join(
            f"{k}={v}" for k, v in spec.items() if k not in ("distribution", "scale", "units")
        )
        lines.append(
            f"| `{name}` | {spec['distribution']}({params}) | "
            f"{spec.get('scale', '-')} | {spec.get('units', '-')} |"
        )
    lines += ["", "## Model steps", ""]
    for step in data["models"]:
        outputs = [o if isinstance(o, str) else o["name"] for o in step.get("outputs", [])]
        runs = step.get("python") or " ".join(step.get("command", []))
        lines.append(
            f"- **{step['name']}** (`{runs}`): {', '.join(step['inputs'])} -> {', '.join(outputs)}"
        )
    lines += ["", "## Analyses", ""]
    lines += [
        f"- `{a['method']}`: " + ", ".join(f"{k}={v}" for k, v in a.items() if k != "method")
        for a in data.get("analysis", [])
    ]
    if "assimilate" in data:
        block = data["assimilate"]
        lines.append(
            f"- assimilation: `{block.get('method', 'etkf')}`, update "
            f"{block.get('update', 'inputs')}, {block.get('members', 40)} members, "
            f"observations `{block['observations']}` (see the assimilation guide)"
        )
    cases = data.get("verification") or []
    if cases:
        lines += [
            "",
            "## Verification cases",
            "",
            "| case | output | expected |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{c['name']}` | `{c['output']}` | {c['expected']} |" for c in cases]
    section = _readme_section(data["study"]) or _readme_section(path.stem)
    if section:
        lines += ["", "## What it shows", "", section]
    return "\n".join(lines) + "\n"


def indices_figure(path: Path, image: Path) -> str:
    """Draw the stored indices of a real run of the study ``path`` (if any) into
    ``image`` with the report's own figures (further figures beside it, as
    ``IMAGE-2.svg`` ... for a sweep's further runs, ``IMAGE-shapley.svg`` and
    ``IMAGE-field.svg`` for a scalar run's Shapley effects and field,
    ``IMAGE-error.svg`` for a twin's errors); return the page's Markdown for them."""
    stored = STUDY_INDICES / f"{path.stem}.json"
    if not stored.exists():
        return ""
    from uqscale.report.figures import group_colours, input_colours

    run = json.loads(stored.read_text())
    study = yaml.safe_load(path.read_text())
    inputs = study["inputs"]
    scale_of = {name: spec.get("scale", "unscaled") for name, spec in inputs.items()}
    colours = input_colours(scale_of, group_colours(list(dict.fromkeys(scale_of.values()))))
    if run.get("kind") == "sweep":
        return sweep_figures(run, image, colours)
    if run.get("kind") == "assimilation":
        return twin_figures(run, image, colours)
    drawers = [
        ("", functools.partial(index_bars_figure, run, kind="sobol")),
        ("shapley", functools.partial(index_bars_figure, run, kind="shapley", study=study)),
        ("field", functools.partial(field_figure, run)),
    ]
    text, first = [], True
    for suffix, draw in drawers:
        target = image if first else image.with_name(f"{image.stem}-{suffix}.svg")
        found = draw(target, colours)
        first = first and not found
        text.append(found)
    return "".join(text)


def index_bars_figure(
    run: dict[str, Any],
    image: Path,
    colours: dict[str, str],
    kind: str = "sobol",
    study: dict[str, Any] | None = None,
) -> str:
    """Bars per method of a scalar output's stored indices: S1 and ST (``kind``
    ``sobol``) or Shapley effects with their intervals (``shapley``); "" when the run
    has none of that kind.

    Parameters
    ----------
    run
        The stored record (``docs/studies/indices/NAME.json``).
    image
        Where the figure is written.
    colours
        ``{input: colour}``, the inputs' scale groups'.
    kind
        Which indices: ``sobol`` or ``shapley``.
    study
        The study file's contents: the Shapley caption names its correlated inputs
        and its analysis's confidence level.

    Returns
    -------
    str
        The page's Markdown for the figure.
    """
    import xarray as xr

    from uqscale.report.plots import SHAPLEY, SOBOL, index_bars_image
    from uqscale.report.shapleys import sharing

    bars = SHAPLEY if kind == "shapley" else SOBOL
    ranking = bars.keys[-1][0]
    panels = []
    for method, values in run["methods"].items():
        if ranking not in values:
            continue
        names = list(values[ranking])
        panels.append(
            (
                method,
                xr.Dataset(
                    {k: ("input", [float(v[n]) for n in names]) for k, v in values.items()},
                    coords={"input": names},
                ),
            )
        )
    if not panels:
        return ""
    _write_uri(image, index_bars_image(panels, colours, bars))
    if kind == "shapley":
        from uqscale.analysis.shapley import ShapleyOptions

        study = study or {}
        correlated = (study.get("correlation") or {}).get("inputs", [])
        level = next(
            (
                a.get("conf_level", ShapleyOptions.conf_level)
                for a in study.get("analysis", [])
                if a["method"] == "shapley"
            ),
            ShapleyOptions.conf_level,
        )
        return (
            f"\n## Shapley effects\n\n![Shapley effects of {run['output']}]({image.name})\n\n"
            f"Shapley effects (Sh) of `{run['output']}`: each input's share of its variance, "
            f"the shares summing to 1. {sharing(correlated)} From {_made_by(run)} "
            f"Whiskers: {100 * level:g} % confidence intervals (Monte Carlo error of the "
            f"estimator).\n"
        )
    return (
        f"\n## Indices\n\n![Sobol indices of {run['output']}]({image.name})\n\n"
        f"First-order (S1, light) and total (ST) indices of `{run['output']}` from "
        f"{_made_by(run)} Whiskers: confidence intervals.\n"
    )


def field_figure(run: dict[str, Any], image: Path, colours: dict[str, str]) -> str:
    """The report's field figure of a stored run's field: ST (solid, band: confidence
    interval) and S1 (dashed) of each leading input along the field's coordinate; ""
    when the run keeps no field.

    Parameters
    ----------
    run
        The stored record, its field under ``field``.
    image
        Where the figure is written.
    colours
        ``{input: colour}``.

    Returns
    -------
    str
        The page's Markdown for the figure.
    """
    import xarray as xr

    from uqscale.report.fieldplots import field_indices

    field = run.get("field")
    if not field:
        return ""
    output, dim = field["output"], field["dim"]
    dataset = xr.Dataset.from_dict(field["dataset"]).astype(float)  # None (no variance): NaN
    _write_uri(image, field_indices([(field["method"], dataset)], dim, colours))
    fixed = [
        f"{x:g}"
        for x, st in zip(dataset[dim].values, dataset["ST"].T.values, strict=True)
        if not (abs(st) > 0).any()
    ]
    still = (
        f" Where `{output}` does not vary (`{dim}` = {', '.join(fixed)}: a value held "
        f"fixed) every index is 0."
        if fixed
        else ""
    )
    return (
        f"\n## Indices along {dim}\n\n![Sobol indices of {output} along {dim}]({image.name})"
        f"\n\nTotal (ST, solid; shaded: confidence interval) and first-order (S1, dashed) "
        f"indices of the field `{output}` at each of its {dataset.sizes[dim]} points along "
        f"`{dim}`, for the inputs with the largest ST anywhere: read it vertically, at each "
        f"`{dim}` which inputs drive `{output}` there.{still} From the same run.\n"
    )


def sweep_figures(record: dict[str, Any], image: Path, colours: dict[str, str]) -> str:
    """The report's grey-zone figure of each stored run of a resolution sweep."""
    import xarray as xr

    from uqscale.report.fieldplots import greyzone_curves

    output = record["output"]
    text = [
        "\n## Indices along the grid spacing\n\n"
        f"`{output}` against the grid spacing dx: its mean and ±1 standard deviation over "
        "the uncertain inputs (left), the inputs' total indices at each spacing (middle) "
        "and the resolution sensitivity |d mean / d ln dx| / std (right; above the dashed "
        "threshold the spacing moves the answer more than the inputs' spread, the grey "
        "zone, shaded).\n"
    ]
    for k, run in enumerate(record["runs"]):
        target = image if k == 0 else image.with_name(f"{image.stem}-{k + 1}.svg")
        _write_uri(target, greyzone_curves(xr.Dataset.from_dict(run["dataset"]), colours))
        text.append(
            f"\n### {run['label']}\n\n![{output} along dx, {run['label']}]({target.name})"
            f"\n\nFrom {_made_by(run)}\n"
        )
    return "".join(text)


def twin_figures(record: dict[str, Any], image: Path, colours: dict[str, str]) -> str:
    """The report's assimilation figures of a stored twin run: the updated inputs per
    cycle (when it updates inputs) and the analysis RMSE and spread per cycle.

    Parameters
    ----------
    record
        The stored record, the figures' data under ``dataset``.
    image
        Where the first figure is written (the errors beside it, ``IMAGE-error.svg``,
        when the inputs are drawn).
    colours
        Each updated input's colour, its scale group's.

    Returns
    -------
    str
        Markdown: a heading, the filter's settings, each figure and its caption.
    """
    import xarray as xr

    from uqscale.report.assimilation import error_figure, parameter_figure
    from uqscale.report.blocks import number

    ds = xr.Dataset.from_dict(record["dataset"])
    a = ds.attrs
    cycles = f"{ds.sizes['cycle']} cycles"
    text = [
        f"\n## Data assimilation\n\nFrom {_made_by(record, cycles)} "
        f"{a.get('method', '?')} with {a.get('members', '?')} members (inflation "
        f"{number(a.get('inflation', 1.0))}); the normalised innovations have variance "
        f"{number(a.get('innovation_variance'))} (1 when the filter's spread is honest).\n"
    ]
    errors = image
    if "parameters_analysis" in ds:
        _write_uri(image, parameter_figure(ds, colours))
        truth = ", the truth dashed" if "truth_parameters" in ds else ""
        text.append(
            f"\n![updated inputs per cycle]({image.name})\n\nEach updated input after every "
            f"cycle: the analysis mean (line) inside its central 90 % (band), the prior's "
            f"central 90 % in grey{truth}.\n"
        )
        errors = image.with_name(f"{image.stem}-error.svg")
    _write_uri(errors, error_figure(ds))
    text.append(
        f"\n![RMSE and spread per cycle]({errors.name})\n\nRoot-mean-square error of the "
        f"analysis mean against the {a.get('against', 'truth')} and the analysis ensemble's "
        f"spread, per cycle; after the spin-up ({a.get('spinup', 0)} cycles, shaded) they "
        f"average {number(a.get('rmse_mean'))} and {number(a.get('spread_mean'))}. A spread "
        f"well below the RMSE says the ensemble is overconfident.\n"
    )
    return "".join(text)


def _made_by(run: dict[str, Any], size: str | None = None) -> str:
    """``command``: N samples (F failed) in T s, run on DATE (2 cores); ``size`` says
    instead how large the run was (a twin's cycles)."""
    when = (run.get("finished") or "")[:10]
    took = f" in {run['wall_seconds']:.0f} s" if run.get("wall_seconds") else ""
    size = size or f"{run['samples']:,} samples ({run['failed']} failed)"
    return f"`{run['command']}`: {size}{took}, run on {when} (2 cores)."


def _write_uri(image: Path, uri: str) -> None:
    """Write a figure's ``data:`` URI (base64) to ``image``."""
    import base64

    image.write_bytes(base64.b64decode(uri.split(",", 1)[1]))


def write_study_pages(app: Sphinx) -> None:
    """One page per study file under ``studies/`` (generated, not committed)."""
    target = Path(app.srcdir) / "studies" / "generated"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.md"):
        old.unlink()
    for old in target.glob("*.svg"):
        old.unlink()
    for path in sorted(STUDIES.glob("*.yaml")):
        figure = indices_figure(path, target / f"{path.stem}-indices.svg")
        (target / f"{path.stem}.md").write_text(study_page(path) + figure)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("uqscale-method-options", MethodOptions)
    app.add_directive("uqscale-distributions", Distributions)
    app.add_directive("uqscale-example", Example)
    app.connect("builder-inited", write_study_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
