"""``uqscale status``: how far a run has come, what failed, and how long is left."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from uqscale.execute.progress import clock
from uqscale.records import Failure
from uqscale.store import RunStore, read_json

STAMP = "%Y-%m-%dT%H:%M:%S%z"


def run_status(directory: Path) -> dict[str, Any]:
    """Counts of done, failed and pending samples, failures grouped by step and
    error, elapsed time and (while a launcher works on it) an estimate of the rest."""
    store = RunStore.open(directory)
    size = store.design().sizes["sample"]
    done, failures = store.sample_state(size)
    record = store.provenance()
    running = record.get("running") if store.in_use() else None
    now = time.time()
    started = _seconds(record["started"])
    finished = None if record.get("running") else record.get("finished")
    elapsed = (_seconds(finished) if finished else now) - started
    status: dict[str, Any] = {
        "directory": str(directory),
        "study": store.study().name,
        "samples": size,
        "done": int(done.sum()) - len(failures),
        "failed": len(failures),
        "pending": int(size - done.sum()),
        "elapsed_seconds": elapsed,
        "state": "running"
        if running
        else "stopped early"
        if record.get("stopped")
        else ("finished" if finished else "interrupted"),
        "failures": failure_groups(failures),
        "warnings": stored_warnings(store),
        # h16: damaged part files (skipped; their samples count as pending).
        "damaged_parts": [f"{path}: {reason}" for path, reason in store.damaged_parts()],
    }
    if running:
        stored = _stored_in_session(store, running["session"])
        spent = now - _seconds(running["started"])
        left = running["samples"] - stored
        status["remaining_seconds"] = (
            0.0 if left <= 0 else left * spent / stored if stored else None
        )
    return status


def failure_groups(failures: Sequence[Failure]) -> list[dict[str, Any]]:
    """Failures grouped by step and error, most frequent first, each with the count
    and one example message."""
    counts = Counter((f.step, f.error) for f in failures)
    return [
        {
            "step": step,
            "error": error,
            "count": count,
            "example": next(f.message for f in failures if (f.step, f.error) == (step, error)),
        }
        for (step, error), count in counts.most_common()
    ]


def closing_lines(
    directory: Path,
    samples: int,
    failures: Sequence[Failure],
    errors: Mapping[str, str],
    kept_failed: int = 0,
) -> list[str]:
    """The last lines after a run: what failed most (an example message, its step),
    which analyses are missing, how to retry failed samples, where to look.

    Parameters
    ----------
    directory
        The run folder.
    samples
        Samples of the run.
    failures
        Failed samples.
    errors
        ``{label: message}`` of the analyses that could not be computed.
    kept_failed
        Failed samples of earlier sessions kept without running them again.

    Returns
    -------
    list of str
        The lines, in the order they are printed.

    Examples
    --------
    >>> from uqscale.records import Failure
    >>> lines = closing_lines(Path("runs/x"), 4, [Failure(0, "pk", "TypeError", "bad 'qq'")],
    ...                       {"pce": "pce: too few samples"})
    >>> for line in lines:
    ...     print(line)
    1 of 4 samples failed; most often (1 x) TypeError in step 'pk': bad 'qq'
    analyses not computed: pce (pce: too few samples)
    `uqscale status runs/x` shows every failure
    after a fix, `uqscale resume runs/x --retry-failed` runs the failed samples again
    """
    lines = []
    groups = failure_groups(failures)
    if groups:
        top = groups[0]
        lines.append(
            f"{len(failures)} of {samples} samples failed; most often "
            f"({top['count']} x) {top['error']} in step '{top['step']}': "
            f"{top['example']}"
        )
    if errors:
        lines.append(
            "analyses not computed: "
            + "; ".join(f"{label} ({message})" for label, message in errors.items())
        )
    if kept_failed:
        lines.append(f"{kept_failed} failed samples of earlier sessions were kept, not run again")
    if groups:
        lines.append(f"`uqscale status {directory}` shows every failure")
        lines.append(
            f"after a fix, `uqscale resume {directory} --retry-failed` runs the "
            f"failed samples again"
        )
    return lines


def stored_warnings(store: RunStore) -> dict[str, int]:
    """Warnings the run's models raised, counted by ``"Category: message"``."""
    path = store.directory / "warnings.json"
    return read_json(path) if path.is_file() else {}


def _stored_in_session(store: RunStore, session: int) -> int:
    import xarray as xr

    count = 0
    for path in store.part_files():
        if path.name.startswith(f"s{session:03d}-"):
            with xr.open_dataset(path, engine="h5netcdf") as part:
                count += part.sizes["sample"]
    return count


def _seconds(stamp: str) -> float:
    return datetime.strptime(stamp, STAMP).timestamp()


def format_status(status: dict[str, Any]) -> str:
    """The status as lines for the terminal."""
    lines = [
        f"{status['directory']}: study '{status['study']}', {status['state']}",
        f"  {status['samples']} samples: {status['done']} done, {status['failed']} "
        f"failed, {status['pending']} pending",
        f"  elapsed {clock(status['elapsed_seconds'])}",
    ]
    if "remaining_seconds" in status:
        left = status["remaining_seconds"]
        lines[-1] += f", about {clock(left)} left" if left is not None else ", time left unknown"
    lines += [f"  damaged part {line}" for line in status.get("damaged_parts", [])]  # h16
    for group in status["failures"]:
        lines.append(
            f"  {group['count']} x {group['error']} in step {group['step']}: {group['example']}"
        )
    for warning, count in status.get("warnings", {}).items():
        lines.append(f"  warned {count} x: {warning}")
    return "\n".join(lines)
