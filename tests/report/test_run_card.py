"""The run card's wall time is the whole run (every launch, from its start to its
report), not only the ensemble (issue 15 point 9)."""

from __future__ import annotations

import json
import re

import pytest

import uqscale
from uqscale.api import resume
from uqscale.report.blocks import duration
from uqscale.report.data import wall_seconds
from uqscale.report.html import write_report

from .conftest import LONG_FIELD


@pytest.mark.slow
def test_wall_time_covers_every_launch_not_only_the_ensemble(tmp_path):
    first = uqscale.run(uqscale.Study.from_dict(LONG_FIELD), tmp_path / "run")
    second = resume(tmp_path / "run")  # nothing left to run: still a launch that costs time
    provenance = json.loads((tmp_path / "run" / "provenance.json").read_text())

    launches = provenance["launch_seconds"]
    assert launches == [round(first.timings["total"], 4), round(second.timings["total"], 4)]
    # far more than the ensemble: the cluster's start and stop, the analyses, the report
    outside_ensemble = sum(
        first.timings.get(k, 0.0) for k in ("cluster_start", "analysis", "store_analyses", "report")
    )
    assert launches[0] >= first.timings["ensemble"] + outside_ensemble - 1e-3
    assert wall_seconds(provenance) == pytest.approx(sum(launches))

    html = write_report(tmp_path / "run").read_text()
    card = re.search(r"wall time</[^>]+>\s*<[^>]+>([^<]+)<", html)
    assert card is not None and card.group(1).strip() == duration(sum(launches))


def test_runs_recorded_before_launch_seconds_fall_back_to_their_sessions():
    provenance = {
        "sessions": [
            {"started": "2026-01-01T10:00:00+0000", "finished": "2026-01-01T10:00:30+0000"},
            {"started": "2026-01-01T11:00:00+0000", "finished": "2026-01-01T11:00:12+0000"},
        ]
    }
    assert wall_seconds(provenance) == 42.0
    assert wall_seconds(provenance | {"launch_seconds": [50.0, 20.5]}) == 70.5
