"""A minimal headless-Chromium driver over the DevTools protocol, standard library only.

Chromium started with ``--remote-debugging-pipe`` reads protocol messages (JSON, each
ended by a NUL byte) from file descriptor 3 and writes replies and events to 4, so no
websocket client is needed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    """The Chromium executable, or None when not installed."""
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium process with one page, driven over a pipe.

    Parameters
    ----------
    executable
        Path of the Chromium binary.
    timeout
        Seconds to wait for any single reply.
    """

    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._profile = tempfile.mkdtemp(prefix="uqscale-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # Numbered 10 or more, so that moving them to 3 and 4 never overwrites one.
        to_child, from_child = (_high(fd) for fd in (to_child, from_child))

        def wire() -> None:  # in the child: dup2 leaves 3 and 4 inheritable
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(time.monotonic() + self.timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page's session."""
        return self.call(method, self.session, **params)

    def wait_for(self, event: str, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the first (not yet seen) event named ``event``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        for seen in self.events:
            if seen.get("method") == event and not seen.get("_taken"):
                seen["_taken"] = True
                return seen
        while True:
            message = self._receive(deadline)
            self.events.append(message)
            if message.get("method") == event:
                message["_taken"] = True
                return message

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited: " + self._stderr_tail())
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _stderr_tail(self) -> str:
        self._process.kill()
        return (self._process.communicate(timeout=5)[1] or b"")[-2000:].decode(errors="replace")

    def close(self) -> None:
        """Close the browser and remove its profile."""
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stderr:
            self._process.stderr.close()
        os.close(self._read)
        os.close(self._write)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _high(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or more (the original is closed)."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


IMAGES = """JSON.stringify(Array.from(document.images).map(i => ({
    alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})))"""


def inspect_page(path: Path, screenshot: Path, width: int = 1280) -> dict[str, Any]:
    """Open ``path`` in headless Chromium, wait for it to load, and report.

    Returns
    -------
    dict
        ``images`` (alt, complete, natural size of each image), ``errors`` (console
        errors, uncaught exceptions, error log entries), ``requests`` (every URL the
        page asked for), ``title``, ``height``; ``screenshot`` is written as PNG.
    """
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium is not installed")
    with Browser(executable) as browser:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.page(f"{domain}.enable")
        browser.page(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        browser.page("Page.navigate", url=path.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        images = json.loads(
            browser.page("Runtime.evaluate", expression=IMAGES, returnByValue=True)["result"][
                "value"
            ]
        )
        title = browser.page("Runtime.evaluate", expression="document.title", returnByValue=True)[
            "result"
        ]["value"]
        size = browser.page("Page.getLayoutMetrics")["cssContentSize"]
        shot = browser.page(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        events = browser.events
    return {
        "images": images,
        "errors": _errors(events),
        "title": title,
        "requests": [
            e["params"]["request"]["url"]
            for e in events
            if e.get("method") == "Network.requestWillBeSent"
        ],
        "height": size["height"],
    }


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(
                "console: "
                + " ".join(
                    str(a.get("value", a.get("description"))) for a in params.get("args", [])
                )
            )
        elif method == "Runtime.exceptionThrown":
            found.append("exception: " + params["exceptionDetails"].get("text", ""))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        elif method == "Network.loadingFailed":
            found.append(f"network: {params.get('errorText')}")
    return found
