"""What ``uqscale validate`` costs, and what importing scipy.stats would add to it.

``uqscale validate`` loads the study and imports its models; the model evaluation
module it imports used to import ``scipy.stats`` (for discrete inputs) at import
time. This script times ``validate`` on ``studies/ishigami.yaml`` as the tree is
(A) and with ``scipy.stats`` imported first in the same interpreter (B, what the
command paid before the import moved into the discrete-law builders), interleaved
A, B, A, B, and prints the medians and their ratio. tests/test_cli.py checks the
cause (what the command imports), not a wall time.

Run: ``python benchmarks/validate_startup.py [ROUNDS]``
"""

from __future__ import annotations

import statistics
import sys

from common import ROOT, command_seconds, positional

RUN_CLI = (
    "import runpy, sys; sys.argv[0] = 'uqscale'; "
    "runpy.run_module('uqscale.cli', run_name='__main__')"
)
"""``python -m uqscale.cli ARGS``, as code to run after an optional import."""


def main(rounds: int) -> None:
    study = str(ROOT / "studies" / "ishigami.yaml")
    commands = {
        "validate": [sys.executable, "-c", RUN_CLI, "validate", study],
        "validate + scipy.stats": [
            sys.executable,
            "-c",
            "import scipy.stats; " + RUN_CLI,
            "validate",
            study,
        ],
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            seconds[name].append(command_seconds(command))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, value in medians.items():
        print(f"{name:24s} median {value:6.2f} s over {rounds} rounds")
    ratio = medians["validate + scipy.stats"] / medians["validate"]
    print(f"ratio (with scipy.stats / as is): {ratio:.2f}")


if __name__ == "__main__":
    main(*positional((5,)))
