"""A plain-text table of the indices for the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} pts]"
    return "-" if value is None else f"{value:.4g}"


def indices_table(document: Mapping[str, Any], verbose: bool = False) -> str:
    """Rows of output, method, and every per-input and group index, as text."""
    lines = [f"study {document['study']}: {document['samples']} samples, "
             f"{document['failed']} failed"]
    for output, methods in document["outputs"].items():
        for label, entry in methods.items():
            head = f"{output} [{label}]"
            summary = "  ".join(f"{k}={_cell(entry[k])}" for k in ("mean", "std", "variance",
                                                                    "loo_error") if k in entry)
            lines.append(f"{head}  {summary}".rstrip())
            for key in ("S1", "ST", "mu_star", "sigma"):
                if key in entry:
                    cells = "  ".join(f"{name}={_cell(v)}" for name, v in entry[key].items())
                    lines.append(f"    {key:<8}{cells}")
            for key, values in entry.get("groups", {}).items():
                if not key.endswith("_conf"):
                    cells = "  ".join(f"{name}={_cell(v)}" for name, v in values.items())
                    lines.append(f"    {key + '(scale)':<8}{cells}")
    for label, message in document.get("errors", {}).items():
        lines.append(f"{label}: not computed: {message}")
    return "\n".join(lines)
