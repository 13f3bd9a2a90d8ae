"""``uqscale status``: how far a run has come, what failed, and how long is left."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from uqscale.execute.progress import clock
from uqscale.store import RunStore

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
        "directory": str(directory), "study": store.study().name,
        "samples": size, "done": int(done.sum()) - len(failures), "failed": len(failures),
        "pending": int(size - done.sum()), "elapsed_seconds": elapsed,
        "state": "running" if running else ("finished" if finished else "interrupted"),
        "failures": [{"step": step, "error": error, "count": count,
                      "example": next(f.message for f in failures
                                      if (f.step, f.error) == (step, error))}
                     for (step, error), count in Counter((f.step, f.error)
                                                         for f in failures).most_common()],
        # h16: damaged part files (skipped; their samples count as pending).
        "damaged_parts": [f"{path}: {reason}" for path, reason in store.damaged_parts()],
    }
    if running:
        stored = _stored_in_session(store, running["session"])
        spent = now - _seconds(running["started"])
        left = running["samples"] - stored
        status["remaining_seconds"] = (0.0 if left <= 0 else
                                       left * spent / stored if stored else None)
    return status


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
    lines = [f"{status['directory']}: study '{status['study']}', {status['state']}",
             f"  {status['samples']} samples: {status['done']} done, {status['failed']} "
             f"failed, {status['pending']} pending",
             f"  elapsed {clock(status['elapsed_seconds'])}"]
    if "remaining_seconds" in status:
        left = status["remaining_seconds"]
        lines[-1] += f", about {clock(left)} left" if left is not None else ", time left unknown"
    lines += [f"  damaged part {line}" for line in status.get("damaged_parts", [])]  # h16
    for group in status["failures"]:
        lines.append(f"  {group['count']} x {group['error']} in step {group['step']}: "
                     f"{group['example']}")
    return "\n".join(lines)
