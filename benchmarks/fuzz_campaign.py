"""The full fuzzing campaign against the study loader: about 3,000 mutated shipped
studies (the size of the campaign that found issue 16's loader defects), printing files
tried, clean errors, tracebacks (goal 0), hangs over 5 s (goal 0) and unclear errors
(not one line naming the file or a field; goal 0), with examples of each bad kind.

Run from the repository root: ``nice python benchmarks/fuzz_campaign.py [COUNT]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.study.fuzz_cases import STUDIES, campaign, cases

COUNT = 3131


def main(count: int = COUNT) -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        counts, bad = campaign(Path(folder), cases(count, seed=2026))
    seconds = time.perf_counter() - began
    print(
        f"{count} files from {len(STUDIES)} shipped studies in {seconds:.1f} s: "
        f"{counts['valid']} still valid, {counts['clean']} clean errors, "
        f"{counts['traceback']} tracebacks, {counts['hang']} hangs, "
        f"{counts['unclear']} unclear errors"
    )
    for kind, detail, content in bad[:10]:
        print(f"  {kind}: {detail}\n    from {content[:120]!r}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else COUNT)
