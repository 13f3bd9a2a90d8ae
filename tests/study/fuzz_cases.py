"""Bad and odd study files made from the shipped studies, and how loading each ends.

Shared by the fuzzing test (``tests/study/test_fuzzing.py``) and the full campaign
(``benchmarks/fuzz_campaign.py``). Each case is the bytes of a study file: a shipped
study mutated as text (cut, lines dropped, doubled, swapped or re-indented, bytes
flipped, hostile scalars pasted in) or as data (a field replaced by a hostile value,
removed, or joined by an unknown key).
"""

from __future__ import annotations

import copy
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import yaml

from uqscale.errors import StudyError
from uqscale.study.files import load_study

STUDIES = sorted((Path(__file__).resolve().parents[2] / "studies").glob("*.yaml"))
HANG_SECONDS = 5

HOSTILE_TEXT = [
    "1e400",
    "-1",
    "0",
    "''",
    "~",
    "[]",
    "{}",
    "9" * 5000,
    '"\\0"',
    '"\\ud800"',
    "*nowhere",
    "&a [*a]",
    "x" * 10_000,
    "../../x",
    "yes",
    ".nan",
    "-.inf",
    "[" * 300 + "]" * 300,
    "{a: 1, a: 2}",
    "!!python/object:os.system 'ls'",
    "sample",
    "quantile",
    "2e-320",
    "1e308",
    "0x10",
    "1_000",
    "12:30:00",
    '"\\x07bell"',
    "? [a]\n: 1",
]
HOSTILE_VALUES = [
    None,
    [],
    {},
    "",
    -1,
    0,
    1e308,
    -1e308,
    5e-324,
    10**40,
    2**40,
    True,
    "sample",
    "input",
    "../../x",
    ".",
    "/etc/passwd",
    "a" * 300,
    [[[[[[1]]]]]],
    {"": 1},
    "\t",
    1e-320,
    [1, "a", None],
    {"distribution": "normal"},
]


def text_mutation(text: str, rng: random.Random) -> bytes:
    """``text`` damaged in one of several ways, as bytes."""
    lines = text.splitlines(keepends=True) or ["\n"]
    kind = rng.randrange(9)
    k, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if kind == 0:
        return text.encode()[: rng.randrange(len(text) + 1)]
    if kind == 1:
        del lines[k]
    elif kind == 2:
        lines.insert(k, lines[j])
    elif kind == 3:
        lines[k], lines[j] = lines[j], lines[k]
    elif kind == 4:
        lines[k] = " " * rng.choice([1, 2, 3, 5]) + lines[k]
    elif kind == 5:
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    else:
        line = lines[k]
        head = line.split(":", 1)[0] + ": " if ":" in line else line.rstrip("\n") + " "
        lines[k] = head + rng.choice(HOSTILE_TEXT) + "\n"
    return "".join(lines).encode()


def paths(data, prefix=()) -> Iterator[tuple]:
    """Every key path into nested mappings and lists."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        yield (*prefix, key)
        yield from paths(value, (*prefix, key))


def data_mutation(data: dict, rng: random.Random) -> bytes:
    """``data`` with one field replaced, removed or joined by an unknown key, as YAML."""
    data = copy.deepcopy(data)
    path = rng.choice(list(paths(data)))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    kind = rng.randrange(4)
    if kind == 0 and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind == 1 and isinstance(parent, dict):
        parent[rng.choice(["colour", "sample", "n_", "Study", ""])] = 1
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def cases(count: int, seed: int = 0) -> Iterator[bytes]:
    """``count`` mutated study files, spread over every shipped study."""
    rng = random.Random(seed)
    texts = [path.read_text(encoding="utf-8") for path in STUDIES]
    datas = [yaml.safe_load(text) for text in texts]
    for k in range(count):
        which = k % len(texts)
        if rng.random() < 0.5:
            yield text_mutation(texts[which], rng)
        else:
            yield data_mutation(datas[which], rng)


class HangError(Exception):
    """Loading took longer than :data:`HANG_SECONDS`."""


def outcome(path: Path, content: bytes) -> tuple[str, str]:
    """Load ``content`` written at ``path``: ``("valid" | "clean" | "unclear" |
    "traceback" | "hang", detail)``. A clean error is one line naming the file or a
    field (a non-empty path)."""
    path.write_bytes(content)

    def alarm(signum, frame):
        raise HangError

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    began = time.monotonic()
    try:
        load_study(path)
        return "valid", ""
    except StudyError as error:
        message = str(error)
        if "\n" in message or not error.path:
            return "unclear", message
        return "clean", message
    except HangError:
        return "hang", f"over {HANG_SECONDS} s"
    except Exception as error:  # what the campaign looks for
        return "traceback", f"{type(error).__name__}: {error}"[:300]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if time.monotonic() - began > HANG_SECONDS:
            return "hang", f"over {HANG_SECONDS} s"  # noqa: B012 - a slow case is a hang


def campaign(folder: Path, contents) -> tuple[Counter, list[tuple[str, str, bytes]]]:
    """Outcomes of loading every content (one file each in ``folder``): their counts,
    and the cases that ended in a traceback, a hang or an unclear error."""
    counts: Counter = Counter()
    bad = []
    for k, content in enumerate(contents):
        kind, detail = outcome(folder / f"case{k:05d}.yaml", content)
        counts[kind] += 1
        if kind in ("traceback", "hang", "unclear"):
            bad.append((kind, detail, content[:500]))
    return counts, bad
