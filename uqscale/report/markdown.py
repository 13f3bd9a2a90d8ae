"""A Markdown summary of a finished run, for a terminal or a lab notebook
(``uqscale report DIR --format md``): the same facts as report.html, as tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from uqscale.report.about import describe_distribution, stamp, where
from uqscale.report.blocks import duration, number
from uqscale.report.data import RunData, coordinate, field_dims, load_run, wall_seconds
from uqscale.report.figures import TOP, top_inputs
from uqscale.report.quality import loo_badge, worst_point
from uqscale.report.results import index_sets, sweep_note, view


def md_table(head: Sequence[str], rows: Sequence[Sequence[str]],
             numeric: Sequence[int] = ()) -> str:
    """A GitHub-flavoured Markdown table (numeric columns right-aligned).

    Examples
    --------
    >>> print(md_table(["input", "ST"], [["x1", "0.56"]], numeric=[1]))
    | input | ST |
    | --- | ---: |
    | x1 | 0.56 |
    """
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ")
                                 for c in cells) + " |"

    rule = ["---:" if k in numeric else "---" for k in range(len(head))]
    return "\n".join([line(head), "| " + " | ".join(rule) + " |", *map(line, rows)])


def markdown_report(directory: str | Path) -> str:
    """The Markdown summary of the run folder ``directory``."""
    return markdown_text(load_run(directory))


def markdown_text(data: RunData) -> str:
    """The Markdown summary of a loaded run."""
    parts = [_head(data), _inputs(data), _moments(data), *_indices(data), _scales(data),
             _fields(data), _morris(data), _pce(data), _greyzone(data), _verification(data),
             _failures(data)]
    report = data.directory / "report.html"
    if report.is_file():
        parts.append(f"Figures: {report}")
    return "\n\n".join(p for p in parts if p) + "\n"


def _head(data: RunData) -> str:
    study, indices = data.study, data.indices
    line = (f"**{number(indices.get('samples', 0))} samples**, {number(indices.get('failed', 0))}"
            f" failed · {duration(wall_seconds(data.provenance))} on {where(data)} · finished "
            f"{stamp(data.provenance.get('finished'))} · seed {study.seed}")
    description = " ".join(study.description.split())
    return "\n\n".join(p for p in (f"# {study.name}", description, line,
                                    sweep_note(data).strip()) if p)


def _inputs(data: RunData) -> str:
    rows = [[i.name, describe_distribution(i), i.scale or "", i.units or ""]
            for i in data.study.inputs]
    return "## Inputs\n\n" + md_table(["input", "distribution", "scale", "units"], rows)


def _moments(data: RunData) -> str:
    rows, head = [], ["output", "mean", "std"]
    for _, output, ds in data.of_kind("moments"):
        ds = view(ds)[0]
        if field_dims(ds):
            dim = field_dims(ds)[0]
            mean = np.asarray(ds["mean"].values, dtype=float)
            rows.append([f"{output} ({ds.sizes[dim]} points along {dim})",
                         f"{number(np.nanmin(mean))} … {number(np.nanmax(mean))}",
                         f"max {number(np.nanmax(ds['std'].values))}"])
            continue
        qs = [f"q{q:g}" for q in ds["q"].values] if "quantile" in ds else []
        head = ["output", "mean", "std", *qs] if len(qs) + 3 > len(head) else head
        rows.append([output, number(float(ds["mean"])), number(float(ds["std"])),
                     *(number(v) for v in ds["quantile"].values)])
    if not rows:
        return ""
    rows = [r + [""] * (len(head) - len(r)) for r in rows]
    return "## Moments\n\n" + md_table(head, rows, numeric=range(1, len(head)))


def _indices(data: RunData) -> list[str]:
    parts = []
    for output, panels in index_sets(data).items():
        panels = [(label, ds) for label, ds in panels if not field_dims(ds)]
        if not panels:
            continue
        names = [str(n) for n in panels[0][1]["input"].values]
        shown, rest = top_inputs(np.asarray(panels[0][1]["ST"].values, dtype=float), names, TOP)
        head, columns = ["input"], []
        for label, ds in panels:
            for key in ("S1", "ST"):
                head.append(f"{key} ({label})")
                columns.append((ds[key].values, ds[f"{key}_conf"].values
                                if f"{key}_conf" in ds else None))
        rows = [[names[k], *(_pm(v[k], c[k] if c is not None else None) for v, c in columns)]
                for k in shown]
        if rest:
            rows.append([f"{len(rest)} others (sum)",
                         *(number(np.nansum(np.asarray(v)[rest])) for v, _ in columns)])
        parts.append(f"## Sobol indices: {output}\n\n"
                     + md_table(head, rows, numeric=range(1, len(head))))
    return parts


def _pm(value: float, conf: float | None) -> str:
    return number(value) + (f" ± {number(conf, 2)}" if conf is not None else "")


def _scales(data: RunData) -> str:
    if len(data.groups) < 2:
        return ""
    lines = []
    for output, panels in index_sets(data).items():
        for label, ds in panels:
            if "S1_group" not in ds or field_dims(ds):
                continue
            rows = [[str(g), _pm(float(ds["S1_group"].sel(group=g)), _conf(ds, "S1_group", g)),
                     _pm(float(ds["ST_group"].sel(group=g)), _conf(ds, "ST_group", g))]
                    for g in ds["group"].values]
            lines.append(f"**{output}** ({label})\n\n"
                         + md_table(["scale", "S1 (closed)", "ST"], rows, numeric=(1, 2)))
    return "## Indices by scale\n\n" + "\n\n".join(lines) if lines else ""


def _conf(ds: xr.Dataset, key: str, group) -> float | None:
    return float(ds[f"{key}_conf"].sel(group=group)) if f"{key}_conf" in ds else None


def _fields(data: RunData) -> str:
    lines = []
    for output, panels in index_sets(data).items():
        label, ds = panels[0]
        dims = field_dims(ds)
        if not dims:
            continue
        st = ds["ST"].mean([d for d in dims[1:]]) if len(dims) > 1 else ds["ST"]
        x = coordinate(ds, dims[0])
        names = [str(n) for n in ds["input"].values]
        peak = st.max(dims[0]).values
        rows = [[names[k], number(float(st.isel(input=k).mean())), number(peak[k]),
                 number(x[int(np.argmax(st.isel(input=k).values))])]
                for k in top_inputs(np.asarray(peak, dtype=float), names, TOP)[0][:TOP]]
        lines.append(f"**{output}** ({label}, {ds.sizes[dims[0]]} points along {dims[0]})\n\n"
                     + md_table(["input", f"ST mean over {dims[0]}", "ST max",
                                 f"{dims[0]} of max"], rows, numeric=(1, 2, 3)))
    return "## Indices along fields\n\n" + "\n\n".join(lines) if lines else ""


def _morris(data: RunData) -> str:
    lines = []
    for label, output, ds in data.of_kind("morris"):
        ds = view(ds)[0]
        if field_dims(ds):
            continue
        names = [str(n) for n in ds["input"].values]
        mu_star = np.asarray(ds["mu_star"].values, dtype=float)
        rows = [[names[k], _pm(mu_star[k], float(ds["mu_star_conf"][k])
                               if "mu_star_conf" in ds else None),
                 number(float(ds["sigma"][k]))] for k in top_inputs(mu_star, names, TOP)[0]]
        lines.append(f"**{output}** ({label})\n\n"
                     + md_table(["input", "μ*", "σ"], rows, numeric=(1, 2)))
    return "## Morris screening\n\n" + "\n\n".join(lines) if lines else ""


def _pce(data: RunData) -> str:
    rows = []
    for label, output, ds in data.of_kind("pce"):
        final = view(ds)[0]
        loo = float(final["loo_error"].max()) if "loo_error" in final else float("nan")
        rows.append([output, label, number(ds.attrs.get("order")), number(ds.attrs.get("terms")),
                     number(ds.attrs.get("n_used")), number(loo), loo_badge(loo).text])
    if not rows:
        return ""
    return "## Polynomial chaos quality\n\n" + md_table(
        ["output", "analysis", "order", "terms", "runs", "LOO error", "verdict"], rows,
        numeric=(2, 3, 4, 5))


def _greyzone(data: RunData) -> str:
    rows = []
    for _, output, ds in data.of_kind("greyzone"):
        if "resolution" not in ds.dims:
            continue
        ds = worst_point(ds)[0]
        zone = list(np.atleast_1d(ds.attrs.get("grey_zone", [])))
        sensitivity = ds["sensitivity"].values if "sensitivity" in ds else [np.nan]
        rows.append([output, f"{number(zone[0])} … {number(zone[1])}" if len(zone) == 2
                     else "none", number(float(np.nanmax(sensitivity)))])
    if not rows:
        return ""
    return "## Grey zone\n\n" + md_table(["output", "grey zone (dx)", "max sensitivity"], rows,
                                         numeric=(2,))


def _verification(data: RunData) -> str:
    if data.verification is None:
        return ""
    cases = data.verification
    rows = [[c.get("name", ""), c.get("output", ""), number(c.get("expected"), 6),
             number(c.get("got"), 6), number(c.get("tolerance")),
             "pass" if c.get("passed") else "**FAIL**"] for c in cases]
    passed = sum(bool(c.get("passed")) for c in cases)
    return (f"## Verification: {passed} of {len(cases)} passed\n\n"
            + md_table(["case", "output", "expected", "got", "tolerance", "result"], rows,
                       numeric=(2, 3, 4)))


def _failures(data: RunData) -> str:
    lines = []
    if data.failures:
        counts = Counter((f.get("step"), f.get("error")) for f in data.failures)
        rows = [[str(step), str(error), number(count),
                 next(f.get("message", "") for f in data.failures
                      if (f.get("step"), f.get("error")) == (step, error))]
                for (step, error), count in counts.most_common()]
        lines.append(md_table(["step", "error", "samples", "first message"], rows,
                              numeric=(2,)))
    lines += [f"- {label} not computed: {message}"
              for label, message in data.indices.get("errors", {}).items()]
    return "## Failures\n\n" + "\n\n".join(lines) if lines else ""
