"""The Dask dashboard link is printed and recorded only when a dashboard serves pages
there (issue 15 point 8): without bokeh, Dask opens the port but answers 404."""

from __future__ import annotations

import http.server
import importlib.util
import logging
import threading

import pytest

import uqscale
from tests.conftest import uniform_study
from uqscale.execute.cluster import serves_pages

BOKEH = importlib.util.find_spec("bokeh") is not None


@pytest.fixture
def web_server():
    """A real HTTP server on loopback: ``/page`` answers 200, ``/status`` 200 with the
    page distributed serves without bokeh, anything else 404."""

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path in ("/page", "/status") else 404)
            self.end_headers()
            if self.path == "/status":
                self.wfile.write(b"<p>Dask needs bokeh>=3.1.0 for the dashboard.</p>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_only_an_address_that_answers_with_a_page_serves_pages(web_server):
    assert serves_pages(f"{web_server}/page")
    assert not serves_pages(f"{web_server}/status")  # distributed without bokeh
    assert not serves_pages(f"{web_server}/missing")  # 404
    assert not serves_pages("http://127.0.0.1:9/status")  # nothing listening
    assert not serves_pages("not a url")


@pytest.mark.slow
def test_a_run_names_the_dashboard_only_when_it_is_served(tmp_path, caplog):
    study = uniform_study("ishigami", "uqscale.testfunctions:ishigami", 3, [{"method": "moments"}])
    with caplog.at_level(logging.INFO, logger="uqscale"):
        result = uqscale.run(study, tmp_path / "run", progress=True, in_process=False)
    recorded = uqscale.api.RunStore.open(result.directory).provenance()["sessions"][-1]
    link = recorded["cluster"]["dashboard"]
    printed = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("uqscale") and "dashboard" in r.getMessage()
    ]
    if BOKEH:  # the embedded cluster serves its dashboard: recorded, printed, reachable
        assert link and serves_pages(link) and printed == [f"Dask dashboard: {link}"]
    else:
        assert link is None and printed == []
