"""The report in a real browser: headless Chromium loads it offline, every image renders,
the console stays clean, and a screenshot is kept under test-artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.browser import chromium_path, inspect_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = chromium_path()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (CI must install it: see .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.mark.parametrize("run", ["demo_run", "wide_run"])
def test_report_renders_in_chromium(chromium, run, request):
    directory = request.getfixturevalue(run)
    shot = ARTIFACTS / f"report-{run.removesuffix('_run')}.png"
    page = inspect_page(directory / "report.html", shot)
    assert page["title"].endswith("uqscale report")
    assert len(page["images"]) >= 5
    broken = [i["alt"] for i in page["images"] if not (i["complete"] and i["width"] > 0)]
    assert broken == []
    assert page["errors"] == []
    # Offline: nothing but the page itself and its embedded images was requested.
    assert all(url.startswith(("file://", "data:")) for url in page["requests"])
    assert shot.stat().st_size > 10_000
