"""The report's sections about the study and the run: inputs and model graph, samples,
failures, time and place, verification, and provenance."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from uqscale.report.blocks import (
    Badge,
    Cards,
    Cell,
    Chip,
    Figure,
    Heading,
    Note,
    Section,
    Table,
    duration,
    number,
    plural,
)
from uqscale.report.data import STAMP, RunData, dumps, seconds_between, wall_seconds
from uqscale.study.model import UncertainInput

FAILURE_EXAMPLES = 5
FOLD_INPUTS = 20
"""With more inputs, the inputs table is folded under a one-line summary."""


def describe_distribution(item: UncertainInput) -> str:
    """An input's distribution in words.

    Examples
    --------
    >>> describe_distribution(UncertainInput("x", "normal", {"mean": 0, "std": 1,
    ...                                                       "lower": -2, "upper": 2}))
    'normal, mean 0, std 1, truncated to [−2, 2]'
    >>> describe_distribution(UncertainInput("s", "categorical", {"values": ["a", "b"],
    ...                                                           "probabilities": [0.25, 0.75]}))
    'categorical: a (0.25), b (0.75)'
    """
    name = item.distribution
    if name == "categorical":
        values = [str(v) for v in item.params["values"]]
        chances = item.params.get("probabilities") or [1 / len(values)] * len(values)
        return "categorical: " + ", ".join(
            f"{v} ({number(c)})" for v, c in zip(values, chances, strict=True)
        )
    p = {k: number(v).replace("-", "−") for k, v in item.params.items()}
    if name in ("uniform", "loguniform"):
        kind = "log-uniform" if name == "loguniform" else "uniform"
        text = f"{kind} on [{p['low']}, {p['high']}]"
    elif name == "normal":
        text = f"normal, mean {p['mean']}, std {p['std']}"
        if "lower" in p or "upper" in p:
            text += f", truncated to [{p.get('lower', '−∞')}, {p.get('upper', '∞')}]"
    elif name == "lognormal":
        text = f"log-normal, μ {p['mu']}, σ {p['sigma']} (of the logarithm)"
    elif name == "triangular":
        text = f"triangular, {p['low']} ≤ mode {p['mode']} ≤ {p['high']}"
    else:
        text = name + ", " + ", ".join(f"{k} {v}" for k, v in p.items())
    return text


def options_text(options: Mapping[str, Any]) -> str:
    """An analysis' options as in a study file.

    Examples
    --------
    >>> options_text({"order": 8, "sparse": False, "quantiles": (0.05, 0.95), "n": None})
    'order 8, sparse false, quantiles [0.05, 0.95]'
    """
    return ", ".join(
        f"{k} {json.dumps(list(v) if isinstance(v, tuple) else v)}".replace('"', "")
        for k, v in options.items()
        if v is not None
    )


def stamp(text: str | None) -> str:
    """A provenance time stamp for people: ``2026-11-27 12:09:48 +0000``."""
    if not text:
        return "–"
    try:
        return datetime.strptime(text, STAMP).strftime("%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return text


def summary_cards(data: RunData) -> Cards:
    """Samples, failures, wall time, where it ran and (if any) verification."""
    samples, failed = data.indices.get("samples", 0), data.indices.get("failed", 0)
    items = [
        ("samples", number(samples), "neutral"),
        (
            "failed",
            f"{number(failed)}"
            + (f" ({100 * failed / samples:.1f} %)" if failed and samples else ""),
            "bad" if failed else "good",
        ),
        ("wall time", duration(wall_seconds(data.provenance)), "neutral"),
        ("ran on", where(data), "neutral"),
    ]
    if data.verification is not None:
        passed = sum(bool(c.get("passed")) for c in data.verification)
        items.append(
            (
                "verification",
                f"{passed} / {len(data.verification)} passed",
                "good" if passed == len(data.verification) else "bad",
            )
        )
    return Cards(items)


def where(data: RunData) -> str:
    """The cluster of the last session that ran samples, in a few words."""
    for session in reversed(data.provenance.get("sessions", [])):
        cluster = session.get("cluster")
        if cluster:
            kind = data.study.execution.cluster
            return f"{kind} Dask, {plural(int(cluster.get('workers', 0)), 'worker')}"
    return str(data.provenance.get("host", "–"))


def study_section(data: RunData, graph: Callable[[], str], colours: dict[str, str]) -> Section:
    """What was studied: the description, the inputs, the model graph, the analyses.

    Parameters
    ----------
    data
        The run.
    graph
        Draws the model graph (a ``data:`` URI), when shown.
    colours
        Each scale group's colour.

    Returns
    -------
    Section
        The study section.
    """
    study = data.study
    scale_of = data.scale_of
    rows: list[list[Cell]] = [
        [
            item.name,
            describe_distribution(item),
            Chip(scale_of[item.name], colours[scale_of[item.name]]),
            item.units or "",
        ]
        for item in study.inputs
    ]
    blocks: list[Any] = [
        Figure(
            graph,
            "model graph",
            "The model graph from micro to macro: uncertain inputs grouped by scale (left, "
            "one colour per scale group, used throughout the report), the model steps in "
            "the order data flows through them, intermediate outputs on the arrows and "
            "the final outputs (right).",
        ),
        Table(
            ["input", "distribution", "scale", "units"],
            rows,
            f"{plural(len(study.inputs), 'uncertain input')}, independent.",
            collapsed=_inputs_summary(data) if len(rows) > FOLD_INPUTS else "",
        ),
        Table(
            ["analysis", "method", "options"],
            [[a.label, a.method, options_text(a.options)] for a in study.analysis],
        ),
    ]
    resolution = getattr(study, "resolution", None)
    if resolution is not None:
        spacings = ", ".join(number(v) for v in resolution.spacings())
        blocks.append(
            Note(
                f"Resolution sweep: the whole ensemble runs at {resolution.parameter}"
                f" = {spacings}"
                + (
                    f"; process scale: {resolution.process_scale}"
                    if resolution.process_scale
                    else ""
                )
                + "."
            )
        )
    lead = study.description.strip() or f"Study {study.name}."
    return Section("study", "Study", lead, blocks)


def _inputs_summary(data: RunData) -> str:
    kinds = Counter(i.distribution for i in data.study.inputs)
    return (
        f"{plural(len(data.study.inputs), 'uncertain input')}: "
        + ", ".join(f"{len(n)} {g}" for g, n in data.groups.items())
        + "; "
        + ", ".join(f"{c} {k}" for k, c in kinds.most_common())
    )


def run_section(data: RunData) -> Section:
    """Samples, failures with their reasons, sessions, time per stage, analyses that
    could not be computed."""
    samples, failed = data.indices.get("samples", 0), data.indices.get("failed", 0)
    blocks: list[Any] = []
    if data.failures:
        blocks.append(_failures_table(data.failures))
    else:
        blocks.append(Note(f"All {number(samples)} samples succeeded.", "good"))
    for label, message in data.indices.get("errors", {}).items():
        blocks.append(Note(f"Analysis '{label}' was not computed: {message}", "bad"))
    sessions = data.provenance.get("sessions", [])
    if sessions:
        blocks.append(Heading("Sessions"))
        blocks.append(
            Table(
                ["#", "started", "duration", "samples run", "cluster", "host"],
                [
                    [
                        str(k),
                        stamp(s.get("started")),
                        duration(seconds_between(s.get("started"), s.get("finished"))),
                        number(s.get("samples", 0)),
                        _cluster_text(s.get("cluster")),
                        s.get("host", "–"),
                    ]
                    for k, s in enumerate(sessions, start=1)
                ],
                "Each launch of `uqscale run` or `resume` on this folder; a resumed run only "
                "computes the samples still missing.",
                numeric=(0, 3),
            )
        )
    stages = data.provenance.get("seconds", {})
    if stages:
        blocks.append(Heading("Time per stage (last session)"))
        blocks.append(
            Table(
                ["stage", "seconds"],
                [[k, number(v)] for k, v in stages.items()],
                "model: the batches' own time summed over workers; ensemble: "
                "wall time of the whole ensemble."
                if "model" in stages
                else "",
                numeric=(1,),
            )
        )
    lead = (
        f"{number(samples)} samples, {number(failed)} failed, in "
        f"{duration(wall_seconds(data.provenance))} on {where(data)}."
    )
    return Section("run", "Run", lead, blocks)


def _cluster_text(cluster: dict[str, Any] | None) -> str:
    if not cluster:
        return "nothing to run"
    return f"{plural(int(cluster.get('workers', 0)), 'worker')} at {cluster.get('scheduler')}"


def _failures_table(failures: list[dict[str, Any]]) -> Table:
    counts = Counter((f.get("step", "?"), f.get("error", "?")) for f in failures)
    rows = []
    for (step, error), count in counts.most_common():
        mine = [f for f in failures if (f.get("step", "?"), f.get("error", "?")) == (step, error)]
        examples = ", ".join(str(f.get("sample")) for f in mine[:FAILURE_EXAMPLES])
        more = f" … (+{len(mine) - FAILURE_EXAMPLES})" if len(mine) > FAILURE_EXAMPLES else ""
        rows.append(
            [step, Badge(error, "bad"), number(count), mine[0].get("message", ""), examples + more]
        )
    return Table(
        ["step", "error", "samples", "first message", "sample numbers"],
        rows,
        f"{plural(len(failures), 'failed sample')} by step and reason (details "
        f"and tracebacks in failures.json). Regression PCE and moments leave them "
        f"out; Saltelli and Morris estimators need every sample.",
        numeric=(2,),
    )


def verification_section(data: RunData) -> Section | None:
    """Model results against known answers, when the run has ``verification.json``."""
    if data.verification is None:
        return None
    cases = data.verification
    rows = []
    for case in cases:
        at = case.get("at")
        output = case.get("output", "") + (
            "  @ " + ", ".join(f"{k}={number(v)}" for k, v in at.items()) if at else ""
        )
        rows.append(
            [
                case.get("name", ""),
                output,
                number(case.get("expected"), 6),
                number(case.get("got"), 6),
                number(case.get("error")),
                number(case.get("tolerance")),
                Badge("pass", "good") if case.get("passed") else Badge("FAIL", "bad"),
            ]
        )
    passed = sum(bool(c.get("passed")) for c in cases)
    blocks: list[Any] = [
        Table(
            ["case", "output", "expected", "got", "error", "tolerance", "result"],
            rows,
            numeric=(2, 3, 4, 5),
        )
    ]
    blocks += [Note(f"{c.get('name')}: {c['message']}", "warn") for c in cases if c.get("message")]
    lead = (
        f"{passed} of {plural(len(cases), 'verification case')} passed: the models "
        f"against answers known in closed form, at fixed inputs."
    )
    return Section("verification", "Verification", lead, blocks)


def provenance_section(data: RunData) -> Section:
    """Hash, seed, versions, host, command: what it takes to reproduce the run."""
    record = data.provenance
    keys = [
        ("study (sha256 of the file as given)", record.get("study_sha256")),
        ("seed", record.get("seed")),
        ("host", record.get("host")),
        ("platform", record.get("platform")),
        ("study folder", record.get("study_dir")),
        ("command", " ".join(record.get("command", []))),
        ("started", stamp(record.get("started"))),
        ("finished", stamp(record.get("finished"))),
        ("run folder", str(data.directory)),
    ]
    versions = record.get("versions", {})
    if versions:
        keys.append(("versions", " · ".join(f"{k} {v}" for k, v in versions.items())))
    rows = [[k, "–" if v is None else str(v)] for k, v in keys]
    blocks: list[Any] = [Table([], rows)]
    extra = {
        k: v
        for k, v in record.items()
        if k
        not in {
            "study_sha256",
            "seed",
            "host",
            "platform",
            "study_dir",
            "command",
            "started",
            "finished",
            "versions",
            "sessions",
            "seconds",
        }
    }
    if extra:
        blocks.append(Table(["field", "value"], [[k, dumps(v)] for k, v in extra.items()]))
    return Section(
        "provenance",
        "Provenance",
        "Everything needed to reproduce these numbers: the study's hash and seed "
        "fix every sample, whatever the number of workers.",
        blocks,
    )
