"""The progress bar (issue 18 point 3): drawn into a terminal by a real run, silent
into a pipe, and never fooled by an imported (not running) notebook kernel."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import pytest

from uqscale import open_run
from uqscale.execute.progress import Progress, bar_class, in_notebook, interactive

SCRIPT = textwrap.dedent(
    """
    import sys
    import uqscale as uq

    def f(x1, x2):
        if x1 > 0.9:
            raise ValueError("outside the model's range")
        return {"y": x1 + 3 * x2}

    study = uq.Study(name="bar", seed=1,
        inputs={"x1": uq.Uniform(0, 1), "x2": uq.Uniform(0, 1)},
        models=[uq.ModelStep("f", python=f, inputs=["x1", "x2"], outputs=["y"])],
        analysis=[uq.Analysis("sobol", n=32)])
    if __name__ == "__main__":
        run = uq.run(study, out=sys.argv[1], report=False)
        print("failed", len(run.failures))
    """
)
SAMPLES = 32 * (2 + 2)


def _read_all(fd: int) -> bytes:
    """Everything written to a pseudo-terminal's master until its slave closes."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.slow
def test_a_run_draws_its_bar_into_a_terminal_and_nothing_into_a_pipe(tmp_path):
    script = tmp_path / "bar.py"
    script.write_text(SCRIPT)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    in_terminal = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "tty")], stdout=slave, stderr=slave
    )
    os.close(slave)
    piped = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "pipe")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    drawn = _read_all(master).decode()
    os.close(master)
    out, err = piped.communicate(timeout=300)
    assert in_terminal.wait(timeout=300) == 0 and piped.returncode == 0, err
    failed = int((open_run(tmp_path / "tty").design["x1"] > 0.9).sum())  # f's refusals
    assert failed > 0
    last = drawn.split("\r")[-3]  # the final frame, before the closing line break
    assert f"{SAMPLES}/{SAMPLES}" in last and "sample/s" in last  # done and rate
    assert "<00:00" in last  # time left
    assert f"{failed} failed, 0 retried" in last
    assert f"failed {failed}" in drawn
    assert out == f"failed {failed}\n"
    assert err == ""  # no bar, no stray carriage returns in a log


def test_an_imported_kernel_is_not_a_notebook():
    # nbclient imports ipykernel in the test process; tqdm.auto would then pick its
    # widget bar, which prints a widget's repr into a plain log.
    pytest.importorskip("ipykernel.zmqshell")
    assert not in_notebook()
    assert bar_class().__module__ == "tqdm.std"
    assert not interactive(io.StringIO())


def test_a_bar_that_no_one_watches_writes_nothing_but_counts():
    stream = io.StringIO()
    bar = Progress(10, stream=stream)
    bar.update(6, 1, 2)
    bar.close()
    assert not bar.enabled and stream.getvalue() == ""
    assert (bar.done, bar.failed, bar.retried) == (6, 1, 2)


def test_a_watched_bar_ends_on_its_totals_once():
    stream = io.StringIO()
    bar = Progress(10, stream=stream, enabled=True)
    bar.update(4, 0, 0)
    bar.update(6, 3, 1)
    bar.close()
    bar.close()  # a second close (the cluster's exit after an in-process part) adds nothing
    frames = stream.getvalue().split("\r")
    assert "10/10" in frames[-1] and "3 failed, 1 retried" in frames[-1]
    assert stream.getvalue().count("\n") == 1
