"""Throughput and overhead of ``umbridge:`` steps, against the umbridge client alone.

A trivial UM-Bridge model (y = 2 x, served by this script in a subprocess through
``uqscale.serve.serve_models`` on the loopback interface, 8 server threads) is
evaluated RUNS times, interleaved A, B, A, B over ROUNDS rounds:

* A: ``umbridge.HTTPModel`` alone, called from a thread pool of CONCURRENCY threads
  (it opens a new connection per call; uqscale keeps one per thread);
* B: uqscale's ``evaluate_batch`` on an umbridge step of the same concurrency (the
  code a Dask worker runs for a batch), in this process;

then the same at concurrency 1, where the time per sample is the overhead beyond the
model's own time (microseconds here), next to that of a ``command:`` step measured by
benchmarks/command_overhead.py's code (the same trivial model as a C program); and
both at concurrency 1 and CONCURRENCY with a model that sleeps SLOW_SECONDS (through
its config), where evaluations in flight pay off.

Run: ``python benchmarks/umbridge_throughput.py [RUNS]``
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
import umbridge
from command_overhead import REPEATS, bash_seconds, build, in_process_seconds
from common import best_of

import uqscale

CONCURRENCY = 8
SLOW_SECONDS = 0.01
SLOW_RUNS = 80
ROUNDS = 5
SERVER_THREADS = 8
PORT = 47311
URL = f"http://127.0.0.1:{PORT}"


class Double(umbridge.Model):
    """y = 2 x, after sleeping ``config["seconds"]`` (0 if not given)."""

    def __init__(self):
        super().__init__("double")

    def get_input_sizes(self, config):
        return [1]

    def get_output_sizes(self, config):
        return [1]

    def __call__(self, parameters, config):
        time.sleep(config.get("seconds", 0))
        return [[2.0 * parameters[0][0]]]

    def supports_evaluate(self):
        return True


def start_server() -> subprocess.Popen:
    """This script's model served in a subprocess, once ``/Info`` answers."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(300):
        try:
            requests.get(f"{URL}/Info", timeout=1)
            return server
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def study(concurrency: int, runs: int, seconds: float = 0.0) -> uqscale.Study:
    """The model as an umbridge step, input x, output y, sleeping ``seconds``."""
    return uqscale.Study.from_dict(
        {
            "study": "umbridge_throughput",
            "seed": 1,
            "inputs": {"x": {"distribution": "uniform", "low": 0, "high": 1}},
            "models": [
                {
                    "name": "double",
                    "inputs": ["x"],
                    "outputs": ["y"],
                    "umbridge": {"url": URL, "name": "double", "concurrency": concurrency},
                    "parameters": {"seconds": seconds},
                }
            ],
            "analysis": [{"method": "moments", "n": runs, "rule": "random"}],
        }
    )


def client_alone_seconds(runs: int, concurrency: int, seconds: float = 0.0) -> float:
    """Wall time of ``runs`` HTTPModel calls from ``concurrency`` threads."""
    model = umbridge.HTTPModel(URL, "double")
    x = np.random.default_rng(1).random(runs)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outputs = list(pool.map(lambda value: model([[value]], {"seconds": seconds})[0][0], x))
    seconds = time.perf_counter() - began
    assert np.array_equal(outputs, 2 * x)
    return seconds


def interleaved(
    runs: int, concurrency: int, folder: Path, seconds: float = 0.0
) -> tuple[list[float], list[float]]:
    """Seconds per round of the client alone (A) and of the umbridge step (B)."""
    a, b = [], []
    steps = study(concurrency, runs, seconds)
    for _ in range(ROUNDS):
        a.append(best_of(REPEATS, lambda: client_alone_seconds(runs, concurrency, seconds)))
        b.append(in_process_seconds(steps, folder, runs))
    return a, b


def main(runs: int) -> None:
    server = start_server()
    folder = Path(tempfile.mkdtemp(prefix="umbridge_throughput-"))
    try:
        wide_a, wide_b = interleaved(runs, CONCURRENCY, folder)
        one_a, one_b = interleaved(runs // 4, 1, folder)
        slow = {c: interleaved(SLOW_RUNS, c, folder, SLOW_SECONDS) for c in (1, CONCURRENCY)}
        command = build(folder, runs)
        bare = bash_seconds(
            f"printf 'x 0.5\\n' > params.txt\nfor i in $(seq {runs}); do ./double params.txt; done",
            folder,
        )
        ours = in_process_seconds(command, folder, runs)
    finally:
        server.kill()
        server.wait()
    print(
        f"trivial UM-Bridge model over loopback, {SERVER_THREADS} server threads; "
        f"{ROUNDS} interleaved rounds (median of the rounds' best of {REPEATS})"
    )
    for label, count, (a, b) in (
        (f"concurrency {CONCURRENCY}", runs, (wide_a, wide_b)),
        ("concurrency 1", runs // 4, (one_a, one_b)),
        *((f"{SLOW_SECONDS * 1e3:g} ms model, concurrency {c}", SLOW_RUNS, slow[c]) for c in slow),
    ):
        ratios = [count / y / (count / x) for x, y in zip(a, b, strict=True)]
        print(
            f"  {label}: umbridge client alone {count / statistics.median(a):8.0f} evals/s, "
            f"uqscale umbridge step {count / statistics.median(b):8.0f} evals/s, "
            f"ratio step/client {statistics.median(ratios):.2f} "
            f"(rounds {min(ratios):.2f} .. {max(ratios):.2f})"
        )
    per_sample = statistics.median(one_b) / (runs // 4) * 1e3
    alone = statistics.median(one_a) / (runs // 4) * 1e3
    print(
        f"time per sample beyond the model's own (concurrency 1): umbridge step "
        f"{per_sample:.3f} ms, umbridge client alone {alone:.3f} ms; "
        f"command step {(ours - bare) / runs * 1e3:.3f} ms over a bare bash loop "
        f"({bare / runs * 1e3:.3f} ms per run of the C program)"
    )
    beyond = statistics.median(slow[1][1]) / SLOW_RUNS * 1e3 - SLOW_SECONDS * 1e3
    print(
        f"time per sample beyond a {SLOW_SECONDS * 1e3:g} ms model's own (concurrency 1): "
        f"umbridge step {beyond:.3f} ms"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        from uqscale.serve import serve_models

        serve_models([Double()], "127.0.0.1", PORT, SERVER_THREADS)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 800)
