"""A run folder from someone else: planted symbolic links are never followed when
writing, damaged parts are found, set aside and recomputed, every write is durable."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest

import uqscale.api
from tests.conftest import uniform_study
from uqscale.design import build_design
from uqscale.errors import UqscaleError
from uqscale.models.command import fresh_workdir
from uqscale.models.evaluate import BatchResult
from uqscale.status import format_status, run_status
from uqscale.store import RECEIPT, RunStore, write_json, write_text
from uqscale.verify import write_results

STUDY = uniform_study(
    "safety", "tests.models.flaky:vectorized", 2, [{"method": "moments", "n": 16}], high=0.9
)  # y = x1 + x2


@pytest.fixture
def outside(tmp_path):
    """A file and a folder outside the run folder, which nothing may change."""
    folder = tmp_path / "outside"
    (folder / "000003").mkdir(parents=True)
    (folder / "000003" / "precious.txt").write_text("keep me")
    (folder / "secret.txt").write_text("keep me too")
    return folder


def snapshot(folder):
    return {
        p.relative_to(folder): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def new_store(tmp_path) -> RunStore:
    return RunStore.create(tmp_path / "run", STUDY, "", build_design(STUDY), {})


def store_batches(store: RunStore, size: int = 16, batch: int = 4) -> None:
    for start in range(0, size, batch):
        y = np.arange(start, start + batch, dtype=float)
        store.write_batch(BatchResult(start, start + batch, {"y": y}), {"y": ()})


def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path, outside):
    store = new_store(tmp_path)
    before = snapshot(outside)
    (store.directory / ".lock").symlink_to(outside / "secret.txt")
    with (
        pytest.raises(
            UqscaleError,
            match=r"\.lock: is a symbolic link; uqscale never "
            r"writes through one",
        ),
        store.lock(),
    ):
        pass
    with pytest.raises(UqscaleError, match="symbolic link"):
        store.in_use()
    assert snapshot(outside) == before


def test_files_written_over_planted_links_replace_the_link_only(tmp_path, outside):
    store = new_store(tmp_path)
    before = snapshot(outside)
    for name in ("verification.json", "results.nc", "provenance.json"):
        (store.directory / name).unlink(missing_ok=True)
        (store.directory / name).symlink_to(outside / "secret.txt")
    write_results([], store.directory / "verification.json")
    write_text(store.directory / "results.nc", "new")
    write_json(store.directory / "provenance.json", {"x": 1})
    assert snapshot(outside) == before
    assert not any(
        (store.directory / n).is_symlink()
        for n in ("verification.json", "results.nc", "provenance.json")
    )


def test_a_planted_parts_link_is_refused(tmp_path, outside):
    store = new_store(tmp_path)
    store.parts.rmdir()
    store.parts.symlink_to(outside)
    before = snapshot(outside)
    with pytest.raises(UqscaleError, match=r"parts: is a symbolic link"):
        store_batches(store)
    assert snapshot(outside) == before


@pytest.mark.parametrize("planted", ["work", "work/model", "work/model/000003"])
def test_work_directories_never_follow_a_planted_link(tmp_path, outside, planted):
    root = tmp_path / "run" / "work"
    link = tmp_path / "run" / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    target = {
        "work": tmp_path / "outside_root",
        "work/model": outside,
        "work/model/000003": outside / "000003",
    }[planted]
    if planted == "work":  # outside_root/model/000003 holds a precious file
        (target / "model" / "000003").mkdir(parents=True)
        (target / "model" / "000003" / "precious.txt").write_text("keep me")
    link.symlink_to(target)
    before, before_root = (
        snapshot(outside),
        snapshot(tmp_path / "outside_root") if planted == "work" else None,
    )
    workdir = fresh_workdir(root, "model", 3)
    assert workdir.is_dir() and not workdir.is_symlink() and not any(workdir.iterdir())
    assert not (root.is_symlink() or (root / "model").is_symlink())
    assert snapshot(outside) == before
    if planted == "work":
        assert snapshot(tmp_path / "outside_root") == before_root


def test_the_staging_folder_is_unpredictable_and_a_planted_name_is_not_followed(tmp_path, outside):
    before = snapshot(outside)
    # The name the staging folder had before: a link there must stay untouched.
    (tmp_path / f".run.{os.getpid()}.new").symlink_to(outside)
    store = new_store(tmp_path)
    assert snapshot(outside) == before
    assert (store.directory / "design.nc").is_file()
    assert (tmp_path / f".run.{os.getpid()}.new").is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".new")] == [
        f".run.{os.getpid()}.new"
    ]


DAMAGES = {
    "truncated": lambda data: data[: len(data) // 2],
    "zero-length": lambda data: b"",
    "garbled": lambda data: data[:200] + bytes(255 - b for b in data[200:400]) + data[400:],
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("receipt", [True, False], ids=["receipt", "no receipt"])
def test_a_damaged_part_is_reported_set_aside_and_its_samples_count_as_not_run(
    tmp_path, caplog, damage, receipt
):
    store = new_store(tmp_path)
    store_batches(store)
    part = store.part_files()[1]
    if not receipt:  # a folder written before receipts existed
        for path in store.parts.glob(f"*{RECEIPT}"):
            path.unlink()
    part.write_bytes(DAMAGES[damage](part.read_bytes()))
    fresh = RunStore.open(store.directory)
    with caplog.at_level(logging.WARNING, logger="uqscale.store"):
        done, failures = fresh.sample_state(16)
    assert done.tolist() == [True] * 4 + [False] * 4 + [True] * 8 and not failures
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith(f"{part}: damaged part (") and "\n" not in line
    assert [p for p, _ in fresh.damaged_parts()] == [part]
    with fresh.lock():
        pass
    assert not part.exists() and (store.parts / "damaged" / part.name).is_file()
    assert [str(p) for p, _ in fresh.damaged_parts()] == [str(store.parts / "damaged" / part.name)]


def test_resume_recomputes_the_samples_of_a_damaged_part(tmp_path, client):
    first = uqscale.api.run(STUDY, tmp_path / "run", client=client, batch_size=4)
    expected = first.results["y"].values.copy()
    first.results.close()
    part = RunStore(first.directory).part_files()[2]
    part.write_bytes(part.read_bytes()[:100])
    status = run_status(first.directory)
    assert (status["done"], status["pending"]) == (12, 4)
    assert status["damaged_parts"][0].startswith(f"{part}: ")
    assert f"damaged part {part}: " in format_status(status)
    again = uqscale.api.resume(first.directory, client=client)
    assert again.ran == 4 and not again.failures
    np.testing.assert_array_equal(again.results["y"].values, expected)
    assert (first.directory / "parts" / "damaged" / part.name).is_file()


def test_every_stored_batch_has_a_receipt_matching_it(tmp_path):
    store = new_store(tmp_path)
    store_batches(store)
    for part in store.part_files():
        size, _ = part.with_name(part.name + RECEIPT).read_text().split()
        assert int(size) == part.stat().st_size
    assert not [p for p in store.directory.rglob("*.tmp")]
