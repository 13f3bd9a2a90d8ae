"""The ``assimilate:`` block: its file form, the Python API, and every mistake as one
line naming the field."""

from __future__ import annotations

import subprocess
import sys

import pytest
import xarray as xr

from tests.assimilation.line_study import observations, write_line_study
from uqscale.errors import StudyError
from uqscale.study import Assimilate, Observed, Study, load_study
from uqscale.study.assimilate import check_assimilate


def rows_with(**change):
    return [observations([1.0, 2.0])[0] | change, observations([1.0, 2.0])[1]]


@pytest.mark.parametrize(
    ("rows", "block", "field", "message"),
    [
        (rows_with(time=9.0), {}, "assimilate.observations", "time 9 is outside the model's"),
        (rows_with(error_sd=0.0), {}, "assimilate.observations", "error_sd must be positive"),
        (rows_with(error_sd=-1.0), {}, "assimilate.observations", "error_sd must be positive"),
        (
            rows_with(quantity="mass"),
            {},
            "assimilate.observations",
            "quantity 'mass' (time 1) is not in observe",
        ),
        (None, {"observe": {"height": "q"}}, "assimilate.observe.height.output", "unknown"),
        (None, {"method": "4dvar"}, "assimilate.method", "unknown value"),
        (None, {"members": 2}, "assimilate.members", ""),
        (None, {"inflation": 0.9}, "assimilate.inflation", "at least 1"),
        (None, {"spinup": 4}, "assimilate.spinup", "less than the 4 cycles"),
        (None, {"truth": {"c": 1.0}}, "assimilate.truth.c", "not an uncertain input"),
        (None, {"truth": {"a": 1.0}}, "assimilate.truth", "lacks the input b"),
        (None, {"update": "states"}, "assimilate.update", "unknown value"),
        (None, {"update": "state"}, "assimilate.state", "update: state needs it"),
        (None, {"state": {"output": "y"}}, "assimilate.state", "only read with update"),
        (None, {"localisation": 2.0}, "assimilate.localisation", "needs a spatial state"),
        (None, {"observations": "none.csv"}, "assimilate.observations", "no such file"),
        (None, {"cadence": 1}, "assimilate.cadence", "unknown key"),
    ],
)
def test_a_mistake_is_one_error_naming_its_field(tmp_path, rows, block, field, message):
    path = write_line_study(tmp_path, rows, **block)
    with pytest.raises(StudyError) as caught:
        load_study(path)
    assert str(caught.value).startswith(f"{field}: ")
    assert message in str(caught.value)


def test_a_file_missing_a_column_is_named(tmp_path):
    path = write_line_study(tmp_path)
    (tmp_path / "obs.csv").write_text("time,quantity,value\n1.0,height,0.3\n")
    with pytest.raises(StudyError, match=r"obs\.csv lacks the column 'error_sd'"):
        load_study(path)


def test_validate_names_the_field_in_one_line(tmp_path):
    path = write_line_study(tmp_path, rows_with(time=-1.0))
    done = subprocess.run(
        [sys.executable, "-m", "uqscale.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "assimilate.observations" in lines[0], done.stderr


def test_netcdf_observations_read_as_csv_ones(tmp_path):
    path = write_line_study(tmp_path)
    from_csv = check_assimilate(load_study(path))
    table = xr.Dataset(
        {
            "time": ("row", from_csv.time),
            "quantity": ("row", from_csv.quantity),
            "value": ("row", from_csv.value),
            "error_sd": ("row", from_csv.error_sd),
        }
    )
    table.to_netcdf(tmp_path / "obs.nc")
    study = load_study(path).replace(
        assimilate=Assimilate(observations="obs.nc", observe={"height": "y"}, members=12)
    )
    from_nc = check_assimilate(study)
    assert from_nc.value.tolist() == from_csv.value.tolist()
    assert from_nc.quantity.tolist() == ["height"] * 4


def test_the_python_api_builds_the_file_form_and_checks_it(tmp_path):
    study = load_study(write_line_study(tmp_path))
    block = Assimilate("obs.csv", {"height": Observed("y")}, method="enkf", inflation=1.05)
    built = study.replace(assimilate=block)
    assert built.assimilate is not None
    assert built.assimilate.to_dict()["observe"] == {"height": {"output": "y"}}
    assert Study.from_dict(built.to_dict(), tmp_path) == built
    with pytest.raises(StudyError, match=r"^assimilate\.inflation: must be at least 1"):
        study.replace(assimilate=Assimilate("obs.csv", {"height": "y"}, inflation=0.5))
