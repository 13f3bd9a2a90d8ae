"""UM-Bridge models for tests/test_umbridge.py, served by the real ``umbridge`` package.

Run: ``python tests/umbridge_server.py PORT [--die-after N]``; with ``--die-after`` the
process exits abruptly (no answer sent) at the (N+1)-th evaluation, like a crashed node.
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time

import umbridge

from uqscale.serve import serve_models
from uqscale.testfunctions import ishigami

HANG_SECONDS = 5.0
HOLD_SECONDS = 0.5
SERVER_THREADS = 16


class Served(umbridge.Model):
    """A model of fixed input and output sizes, named by the subclass."""

    name, inputs, outputs = "", [1], [1]

    def __init__(self):
        super().__init__(self.name)

    def get_input_sizes(self, config):
        return self.inputs

    def get_output_sizes(self, config):
        return self.outputs

    def supports_evaluate(self):
        return True


class Ishigami(Served):
    """uqscale.testfunctions.ishigami on one input vector [x1, x2, x3]; config a, b."""

    name, inputs, outputs = "ishigami", [3], [1]

    def __call__(self, parameters, config):
        a, b = config.get("a", 7.0), config.get("b", 0.1)
        return [[float(ishigami(*parameters[0], a=a, b=b)["y"])]]


class Faulty(Served):
    """y = 2 x, except: x < 0.1 raises, 0.1 <= x < 0.2 gives NaN, 0.2 <= x < 0.3
    answers after HANG_SECONDS."""

    name, inputs, outputs = "faulty", [1], [1]

    def __call__(self, parameters, config):
        x = parameters[0][0]
        if x < 0.1:
            raise ValueError(f"x = {x} is below the model's range")
        if x < 0.2:
            return [[math.nan]]
        if x < 0.3:
            time.sleep(HANG_SECONDS)
        return [[2.0 * x]]


class Fidelity(Served):
    """y = x + dx^2 and a field u(t) = x t over t = 0, 1, 2, with dx from the config."""

    name, inputs, outputs = "fidelity", [1], [1, 3]

    def __call__(self, parameters, config):
        x = parameters[0][0]
        return [[x + config["dx"] ** 2], [x * t for t in range(3)]]


class InFlight(Served):
    """Answers after HOLD_SECONDS with the most evaluations it has seen running at once."""

    name = "inflight"

    def __init__(self):
        super().__init__()
        self.running, self.most, self.lock = 0, 0, threading.Lock()

    def __call__(self, parameters, config):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(HOLD_SECONDS)
        with self.lock:
            self.running -= 1
            return [[float(self.most)]]


class Dying(Ishigami):
    """Ishigami that ends the whole process at evaluation ``limit + 1``."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit, self.count, self.lock = limit, 0, threading.Lock()

    def __call__(self, parameters, config):
        with self.lock:
            self.count += 1
            if self.count > self.limit:
                os._exit(3)
        return super().__call__(parameters, config)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--die-after", type=int)
    args = parser.parse_args()
    ishigami_model = Ishigami() if args.die_after is None else Dying(args.die_after)
    serve_models(
        [ishigami_model, Faulty(), Fidelity(), InFlight()], port=args.port, workers=SERVER_THREADS
    )


if __name__ == "__main__":
    main()
