"""The report's data-assimilation section, on a real run folder of the pkpd twin whose
``assimilation.nc`` comes from a real ETKF loop: it appears only with the file, and
its figures carry the file's numbers (bands are the stored ensembles' quantiles)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from studies.data import make_pkpd_twin as twin
from tests.assimilation.test_pkpd_twin import patient_study, twin_filter
from tests.report.runs import make_run
from uqscale.report import assimilation
from uqscale.report.data import load_run
from uqscale.report.markdown import markdown_report
from uqscale.report.sections import report_sections
from uqscale.store import ENGINE
from uqscale.study import Analysis
from uqscale.study.files import load_study

STUDY = Path(__file__).resolve().parents[2] / "studies" / "pkpd_twin.yaml"


@pytest.fixture(scope="module")
def twin_run(tmp_path_factory) -> tuple[Path, xr.Dataset]:
    """A run folder of the twin study (a small moments analysis), and the
    ``assimilation.nc`` of the engine's 12-member ETKF over its first four measurement
    times (model in process), not yet in the folder."""
    study = load_study(STUDY)
    assert study.assimilate is not None
    # an absolute path: make_run's folder does not record the study's own folder
    block = dataclasses.replace(study.assimilate, observations=str(twin.OBSERVATIONS))
    study = study.replace(analysis=(Analysis("moments", {"n": 8}),), assimilate=block)
    directory = make_run(study, tmp_path_factory.mktemp("twin") / "run")
    truth, rows = twin.true_patient(twin.study_file())
    loop = tmp_path_factory.mktemp("loop")
    return directory, twin_filter(patient_study(truth, seed=5, members=12), rows, loop, cycles=4)


@pytest.fixture
def drawn(monkeypatch):
    """Every figure the section draws, kept for inspection."""
    figures = []

    def keep(fig):
        fig.canvas.draw()
        figures.append(fig)
        return "data:image/svg+xml;base64,"

    monkeypatch.setattr(assimilation, "to_uri", keep)
    return figures


def _titled(sections, key):
    return next((s for s in sections if s.id == key), None)


def _band(collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, lower and upper edge of a ``fill_between`` polygon."""
    vertices = collection.get_paths()[0].vertices
    xs = np.unique(vertices[:, 0])
    low = np.array([vertices[vertices[:, 0] == x, 1].min() for x in xs])
    high = np.array([vertices[vertices[:, 0] == x, 1].max() for x in xs])
    return xs, low, high


def test_the_section_appears_only_with_assimilation_nc(twin_run):
    directory, ds = twin_run
    assert _titled(report_sections(load_run(directory), draw=False), "assimilation") is None
    ds.to_netcdf(directory / assimilation.FILE, engine=ENGINE)
    try:
        section = _titled(report_sections(load_run(directory)), "assimilation")
        assert section is not None
        figures = [b for b in section.blocks if b.kind == "figure"]
        # plasma, biomarker, the inputs, RMSE and spread, innovations
        assert len(figures) == 5
        assert all(f.uri.startswith("data:image/svg+xml;base64,") for f in figures)
        assert "Data assimilation" in markdown_report(directory)
    finally:
        (directory / assimilation.FILE).unlink()


def test_the_bands_are_the_stored_ensembles_quantiles(twin_run, drawn):
    directory, ds = twin_run
    ds.to_netcdf(directory / assimilation.FILE, engine=ENGINE)
    try:
        section = assimilation.section(load_run(directory), _look(directory))
        for block in section.blocks:
            getattr(block, "uri", None)
    finally:
        (directory / assimilation.FILE).unlink()
    plasma, biomarker, inputs, errors, innovations = drawn
    times = ds["time"].values
    grid = twin.field_times(twin.study_file())
    for fig, output in ((plasma, "plasma_conc"), (biomarker, "biomarker")):
        ax = fig.axes[0]
        xs, low, high = _band(ax.collections[0])
        np.testing.assert_array_equal(xs, grid)
        members = ds[f"forecast_{output}"].values
        for j, x in enumerate(grid):
            latest = min(int(np.sum(times < x)), len(times) - 1)  # the last forecast before x
            expected = np.quantile(members[latest, :, j], [0.05, 0.95])
            np.testing.assert_allclose([low[j], high[j]], expected, rtol=1e-12)
        segments = ax.collections[1].get_segments()  # the analysis bars, one per cycle but last
        assert len(segments) == len(times) - 1
        for k, segment in enumerate(segments):
            at = int(np.flatnonzero(grid == times[k])[0])
            expected = np.quantile(members[k + 1, :, at], [0.05, 0.95])
            np.testing.assert_allclose(segment[:, 1], expected, rtol=1e-12)
            assert np.all(segment[:, 0] == times[k])
        observed = ds["obs_quantity"].values.astype(str) == output.split("_")[0]
        points = ax.lines[0].get_xydata()
        np.testing.assert_array_equal(points[:, 1], ds["obs_value"].values[observed])
    analysis = ds["parameters_analysis"].values
    for k, name in enumerate(ds["parameter"].values):
        ax = inputs.axes[k]
        assert ax.get_title(loc="left") == name
        xs, low, high = _band(ax.collections[-1])
        np.testing.assert_array_equal(xs, times)
        np.testing.assert_allclose(low, np.quantile(analysis[:, :, k], 0.05, axis=1))
        np.testing.assert_allclose(high, np.quantile(analysis[:, :, k], 0.95, axis=1))
        np.testing.assert_allclose(ax.lines[0].get_ydata(), analysis[:, :, k].mean(axis=1))
        assert ax.lines[1].get_ydata()[0] == ds["truth_parameters"].values[k]
    rmse, spread = errors.axes[0].lines
    np.testing.assert_array_equal(rmse.get_ydata(), ds["rmse"].values)
    np.testing.assert_array_equal(spread.get_ydata(), ds["spread"].values)
    heights = np.array([p.get_height() * p.get_width() for p in innovations.axes[0].patches])
    assert heights.sum() == pytest.approx(1.0)  # a density over every innovation
    assert len(ds["obs"]) == 4 * 2


def _look(directory):
    from uqscale.report.look import Look

    return Look.of(load_run(directory))


def test_a_broken_assimilation_file_costs_only_its_section(twin_run):
    directory, _ = twin_run
    (directory / assimilation.FILE).write_bytes(b"not netCDF")
    try:
        with pytest.warns(UserWarning, match="Data assimilation"):
            sections = report_sections(load_run(directory))
    finally:
        (directory / assimilation.FILE).unlink()
    broken = _titled(sections, "assimilation")
    assert broken.blocks[0].text.startswith("Not drawn")
    assert _titled(sections, "moments") is not None
