"""Issue 17 point 4: collect trusts the receipts received in this session (their
writers hashed the parts) and still checks every part of earlier sessions."""

from __future__ import annotations

import numpy as np
import xarray as xr

import uqscale.store
from tests.conftest import uniform_study
from uqscale.api import resume, run
from uqscale.store import RunStore


def study():
    return uniform_study(
        "trust", "tests.models.fields:ramp", 2, [{"method": "moments", "n": 64}], outputs=("total",)
    )


class CountedChecks:
    """Counts the parts :func:`uqscale.store.check_part` reads (the real function runs)."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        real = uqscale.store.check_part

        def counted(path):
            self.paths.append(path.name)
            return real(path)

        monkeypatch.setattr(uqscale.store, "check_part", counted)


def test_parts_received_in_the_session_are_not_rehashed(client, tmp_path, monkeypatch):
    checks = CountedChecks(monkeypatch)
    result = run(study(), tmp_path / "run", client=client, report=False, batch_size=16)
    assert checks.paths == []  # four parts, each trusted from its receipt
    store = RunStore.open(tmp_path / "run")
    assert len(store.part_files()) == 4
    assert len(checks.paths) == 4  # another launcher (status, resume) checks them all
    expected = result.results["total"].values
    assert np.isfinite(expected).all()


def test_a_part_damaged_after_an_earlier_session_is_caught_and_run_again(
    client, tmp_path, monkeypatch
):
    first = run(study(), tmp_path / "run", client=client, report=False, batch_size=16)
    expected = first.results["total"].values.copy()
    first.results.close()
    part = tmp_path / "run" / "parts" / "s001-0000000016.nc"
    content = bytearray(part.read_bytes())
    content[len(content) // 2] ^= 0xFF  # same size, one byte garbled
    part.write_bytes(bytes(content))
    checks = CountedChecks(monkeypatch)
    again = resume(tmp_path / "run", client=client, report=False, batch_size=16)
    assert part.name in checks.paths
    assert (tmp_path / "run" / "parts" / "damaged" / part.name).is_file()
    assert again.ran == 16  # the damaged part's samples, and only those
    np.testing.assert_array_equal(again.results["total"].values, expected)


def test_a_receipt_that_disagrees_with_the_file_is_not_trusted(client, tmp_path):
    run(study(), tmp_path / "run", client=client, report=False, batch_size=16)
    store = RunStore.open(tmp_path / "run")
    with store.lock():
        batch = store.write_batch(
            uqscale.store.BatchResult(64, 64, {}, [], 0.0), {"total": ()}, session=2
        )
    part = store.parts / batch.part
    part.write_bytes(part.read_bytes()[:-8])  # truncated after its receipt was sent
    fresh = RunStore.open(tmp_path / "run")
    fresh.trust(batch)
    assert part not in fresh.part_files()
    assert [path.name for path, _ in fresh.damaged_parts()] == [part.name]
    with xr.open_dataset(tmp_path / "run" / "results.nc", engine="h5netcdf") as results:
        assert np.isfinite(results["total"].values).all()
