"""The summary printed after a run: what matters first.

By default, at most :data:`DEFAULT_LINES` lines: for each final output (of the
steps at the macro end of the model graph) and method, the mean and spread, the
reliability verdict and the largest indices with their confidence half-widths; then
one line per intermediate output (analyses that could not be computed are named by
the closing lines). A field output is summarised by where along the field each
leading index peaks. ``verbose`` lists every index of every output.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from uqscale.analysis.registry import METHODS

SCALARS = ("mean", "std", "variance", "loo_error")
"""Statistics shown on an entry's first line, where present."""


def listed_keys() -> tuple[str, ...]:
    """Entry keys listed input by input: those the methods declare (``summary``), in
    registry order.

    Examples
    --------
    >>> listed_keys()
    ('S1', 'ST', 'mu_star', 'sigma', 'Sh')
    """
    return tuple(dict.fromkeys(key for method in METHODS.values() for key in method.summary))


DEFAULT_LINES = 30
TOP = 3
"""Indices shown per output and method, largest first."""
RANKED = ("ST", "mu_star", "Sh", "S1")
"""The index that ranks the inputs, first found."""


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} pts]"
    return "-" if value is None else f"{value:.4g}"


def indices_table(
    document: Mapping[str, Any], final: Collection[str] | None = None, verbose: bool = False
) -> str:
    """The summary of an ``indices.json`` document as text.

    Parameters
    ----------
    document
        The indices document.
    final
        The macro outputs, listed first; default all.
    verbose
        Every index of every output instead of the prioritised summary.

    Returns
    -------
    str
        The summary's lines: a head line, the final outputs, then the intermediate ones.

    Examples
    --------
    >>> doc = {"study": "s", "samples": 10, "failed": 0, "outputs": {
    ...     "c": {"sobol": {"mean": 1.0, "std": 0.5, "ST": {"a": 0.1, "b": 0.7},
    ...                     "ST_conf": {"a": 0.02, "b": 0.05}}},
    ...     "y": {"pce": {"mean": 2.0, "std": 1.0, "loo_error": 0.001,
    ...                   "ST": {"a": 0.9, "b": 0.2}}}}}
    >>> print(indices_table(doc, final={"y"}))
    study s: 10 samples, 0 failed
    y [pce]  mean=2  std=1  fit good (error 0.001)  ST: a 0.9, b 0.2
    intermediate outputs:
      c [sobol]  mean=1  std=0.5  ST: b 0.7±0.05, a 0.1±0.02
    """
    head = f"study {document['study']}: {document['samples']} samples, {document['failed']} failed"
    outputs = document["outputs"]
    if verbose:
        return "\n".join([head, *_everything(outputs), *_errors(document)])
    final = set(outputs) if final is None else set(final)
    lines = [head]
    for output in (o for o in outputs if o in final):
        lines += [_summary(output, label, entry) for label, entry in outputs[output].items()]
    middle = [o for o in outputs if o not in final]
    if middle:
        lines.append("intermediate outputs:")
        lines += ["  " + _summary(o, *next(iter(outputs[o].items()))) for o in middle]
    if len(lines) > DEFAULT_LINES:
        hidden = len(lines) - DEFAULT_LINES + 1
        lines = [*lines[: DEFAULT_LINES - 1], f"... {hidden} more lines (-v shows everything)"]
    return "\n".join(lines)


def _summary(output: str, label: str, entry: Mapping[str, Any]) -> str:
    """One line: moments (a field's range of means), verdict and the largest indices
    of one output and method."""
    field = _field_size(entry)
    name = f"{output}[{field} pts]" if field else output
    parts = [f"{name} [{label}]"]
    parts += [f"{k}={_cell(entry[k])}" for k in ("mean", "std") if k in entry and not field]
    if field and "mean" in entry:
        means = [v for v in _flat(entry["mean"]) if v is not None]
        parts += [f"mean {min(means):.4g} to {max(means):.4g}"] if means else []
    verdict = _verdict(entry)
    if verdict:
        parts.append(verdict)
    ranked = next((k for k in RANKED if k in entry), None)
    if ranked:
        parts.append(f"{ranked}: " + (_peaks(entry, ranked) if field else _top(entry, ranked)))
    return "  ".join(parts)


def _top(entry: Mapping[str, Any], key: str) -> str:
    """The largest indices ``key`` of a scalar output, with ``±`` half-widths."""
    values = {k: v for k, v in entry[key].items() if v is not None}
    conf = entry.get(f"{key}_conf", {})
    largest = sorted(values, key=lambda k: -values[k])[:TOP]
    return ", ".join(
        f"{k} {values[k]:.3g}" + (f"±{conf[k]:.2g}" if conf.get(k) is not None else "")
        for k in largest
    )


def _peaks(entry: Mapping[str, Any], key: str) -> str:
    """Where along a field each leading index peaks: ``input max at dim=value``."""
    dim, coords = next(iter(entry.get("coords", {"point": []}).items()))
    peaks = {}
    for name, values in entry[key].items():
        flat = _flat(values)
        finite = [(v, i) for i, v in enumerate(flat) if v is not None]
        if finite:
            peaks[name] = max(finite)
    largest = sorted(peaks, key=lambda k: -peaks[k][0])[:TOP]
    return ", ".join(f"{k} {peaks[k][0]:.3g} at {dim}={_at(coords, peaks[k][1])}" for k in largest)


def _at(coords: list[Any], index: int) -> str:
    value = coords[index] if index < len(coords) else index
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _flat(values: Any) -> list[Any]:
    if isinstance(values, list):
        return [v for item in values for v in _flat(item)]
    return [values]


def _field_size(entry: Mapping[str, Any]) -> int:
    for key in (*RANKED, "mean"):
        if key in entry:
            value = entry[key]
            sample = next(iter(value.values()), None) if isinstance(value, Mapping) else value
            return len(_flat(sample)) if isinstance(sample, list) else 0
    return 0


def _verdict(entry: Mapping[str, Any]) -> str:
    """How far the estimates can be trusted, where the method says: from the honest
    error (``cv_error``; the leave-one-out error of fits that have no other)."""
    from uqscale.report.quality import FAIR_LOO, GOOD_LOO

    if entry.get("reliable") is False:
        return f"NOT RELIABLE ({entry.get('reliability') or 'honest error too large'})"
    error = entry.get("cv_error", entry.get("loo_error"))
    if isinstance(error, list):
        finite = [v for v in _flat(error) if v is not None]
        error = max(finite) if finite else None
    if error is None:
        return ""
    word = "good" if error < GOOD_LOO else "fair" if error < FAIR_LOO else "poor"
    return f"fit {word} (error {error:.2g})"


def _errors(document: Mapping[str, Any]) -> list[str]:
    return [
        f"{label}: not computed: {message}" for label, message in document.get("errors", {}).items()
    ]


def _everything(outputs: Mapping[str, Any]) -> list[str]:
    """Every index of every output and method (``-v``)."""
    lines = []
    for output, methods in outputs.items():
        for label, entry in methods.items():
            head = f"{output} [{label}]"
            summary = "  ".join(f"{k}={_cell(entry[k])}" for k in SCALARS if k in entry)
            lines.append(f"{head}  {summary}".rstrip())
            for key in listed_keys():
                if isinstance(entry.get(key), Mapping):
                    cells = "  ".join(f"{name}={_cell(v)}" for name, v in entry[key].items())
                    lines.append(f"    {key:<8}{cells}")
            for key, values in entry.get("groups", {}).items():
                if not key.endswith("_conf"):
                    cells = "  ".join(f"{name}={_cell(v)}" for name, v in values.items())
                    lines.append(f"    {key + '(scale)':<8}{cells}")
    return lines
