"""The documentation's own machinery: examples that fail fail the build, and the
generated pages follow the code and the study files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

pytest.importorskip("sphinx")

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import uqscale_docs  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402


def test_a_failing_example_fails_the_build(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import sys\nprint('partial')\nsys.exit('the model broke')\n")
    with pytest.raises(ExtensionError, match=r"(?s)broken\.py failed.*the model broke"):
        uqscale_docs.run_example(script)


def test_an_example_runs_with_the_source_tree_importable(tmp_path):
    script = tmp_path / "fine.py"
    script.write_text("import uqscale.testfunctions as t\nprint(t.__name__)\n")
    assert uqscale_docs.run_example(script).strip() == "uqscale.testfunctions"


def test_every_study_gets_a_page_with_its_inputs_and_steps():
    for path in sorted((DOCS.parent / "studies").glob("*.yaml")):
        page = uqscale_docs.study_page(path)
        data = yaml.safe_load(path.read_text())
        assert page.startswith(f"# {data['study']}\n")
        for name in data["inputs"]:
            assert f"| `{name}` |" in page
        for step in data["models"]:
            assert f"**{step['name']}**" in page


def test_study_pages_draw_the_stored_indices_of_a_real_run(tmp_path):
    stored = sorted(uqscale_docs.STUDY_INDICES.glob("*.json"))
    assert stored, "docs/studies/indices holds at least one run's indices"
    for record in stored:
        study = DOCS.parent / "studies" / f"{record.stem}.yaml"
        assert study.exists(), f"{record.name} names no study file"
        image = tmp_path / f"{record.stem}-indices.svg"
        text = uqscale_docs.indices_figure(study, image)
        stored_run = json.loads(record.read_text())
        runs = stored_run.get("runs", [stored_run])  # a sweep: one figure per run
        images = [image] + [image.with_name(f"{image.stem}-{k}.svg") for k in range(2, 9)]
        for run, drawn in zip(runs, images, strict=False):
            size = f"{run['samples']:,} samples" if run.get("kind") != "assimilation" else "cycles"
            assert f"]({drawn.name})" in text and size in text
            assert f"`{run['command']}`" in text
            svg = drawn.read_text()
            assert svg.startswith("<?xml") and "<svg" in svg
        assert not images[len(runs)].exists()
    assert uqscale_docs.indices_figure(DOCS.parent / "studies" / "nowhere.yaml", image) == ""


def test_a_sweep_page_shows_each_run_of_the_sweep_with_its_own_numbers(tmp_path):
    # convection_greyzone: the conventional and the scale-aware scheme's 240-sample runs
    record = json.loads((uqscale_docs.STUDY_INDICES / "convection_greyzone.json").read_text())
    assert record["kind"] == "sweep" and len(record["runs"]) == 2
    image = tmp_path / "convection_greyzone-indices.svg"
    text = uqscale_docs.indices_figure(DOCS.parent / "studies" / "convection_greyzone.yaml", image)
    assert "## Indices along the grid spacing" in text
    labels = [run["label"] for run in record["runs"]]
    assert "--set models.0.parameters.scheme=scale_aware" in labels
    assert all(f"### {label}" in text for label in labels)
    second = image.with_name("convection_greyzone-indices-2.svg")
    assert image.read_bytes() != second.read_bytes()  # each run drawn from its own data
    # The stored sweep is the grey-zone dataset the report draws: indices per spacing.
    import xarray as xr

    sweep = xr.Dataset.from_dict(record["runs"][0]["dataset"])
    assert sweep["ST"].dims == ("resolution", "input")
    assert bool((sweep["resolution"].diff("resolution") > 0).all())
    assert bool(((sweep["ST"] >= -0.05) & (sweep["ST"] <= 1.05)).all())


def _records(test) -> list[tuple[Path, dict]]:
    """The stored study records (path, contents) that pass ``test``."""
    found = [
        (p, json.loads(p.read_text())) for p in sorted(uqscale_docs.STUDY_INDICES.glob("*.json"))
    ]
    return [(p, r) for p, r in found if test(r)]


def test_a_field_page_draws_the_stored_indices_along_its_field(tmp_path):
    import xarray as xr

    fields = _records(lambda r: r.get("kind") == "field")
    assert fields, "the studies asking about a field keep its indices"
    for path, record in fields:
        field = record["field"]
        study = yaml.safe_load((DOCS.parent / "studies" / f"{path.stem}.yaml").read_text())
        declared = [o for step in study["models"] for o in step["outputs"] if isinstance(o, dict)]
        assert {"name": field["output"], "dims": [field["dim"]]}.items() <= next(
            o for o in declared if o["name"] == field["output"]
        ).items()
        image = tmp_path / f"{path.stem}-indices.svg"
        text = uqscale_docs.indices_figure(DOCS.parent / "studies" / f"{path.stem}.yaml", image)
        assert f"## Indices along {field['dim']}" in text
        assert f"]({path.stem}-indices-field.svg)" in text and "## Indices\n" in text
        assert image.with_name(f"{path.stem}-indices-field.svg").read_text().startswith("<?xml")
        ds = xr.Dataset.from_dict(field["dataset"]).astype(float)
        assert ds["ST"].dims == ("input", field["dim"]) and ds.sizes["input"] == len(
            study["inputs"]
        )
        assert f"at each of its {ds.sizes[field['dim']]} points" in text
        assert bool((ds[field["dim"]].diff(field["dim"]) > 0).all())
        assert bool(((ds["ST"] >= -0.05) & (ds["ST"] <= 1.05)).all())


def test_a_shapley_page_draws_effects_that_share_out_the_whole_variance(tmp_path):
    shared = _records(lambda r: any("Sh" in m for m in r.get("methods", {}).values()))
    assert shared, "a study with dependent inputs keeps its Shapley effects"
    for path, record in shared:
        image = tmp_path / f"{path.stem}-indices.svg"
        text = uqscale_docs.indices_figure(DOCS.parent / "studies" / f"{path.stem}.yaml", image)
        sobol = any("ST" in m for m in record["methods"].values())
        drawn = image.with_name(f"{path.stem}-indices-shapley.svg") if sobol else image
        assert "## Shapley effects" in text and f"]({drawn.name})" in text
        study = yaml.safe_load((DOCS.parent / "studies" / f"{path.stem}.yaml").read_text())
        correlated = (study.get("correlation") or {}).get("inputs")
        said = f"correlated inputs ({', '.join(correlated)}) share" if correlated else "independent"
        assert said in text
        assert drawn.read_text().startswith("<?xml")
        for values in record["methods"].values():
            if "Sh" in values:
                assert sum(values["Sh"].values()) == pytest.approx(1.0, abs=0.05)
                assert set(values["Sh_conf"]) == set(values["Sh"])


def test_a_twin_page_draws_its_stored_assimilation(tmp_path):
    import xarray as xr

    from uqscale.report.blocks import number

    twins = _records(lambda r: r.get("kind") == "assimilation")
    assert twins, "the assimilation twins keep their cycles"
    for path, record in twins:
        ds = xr.Dataset.from_dict(record["dataset"])
        image = tmp_path / f"{path.stem}-indices.svg"
        text = uqscale_docs.indices_figure(DOCS.parent / "studies" / f"{path.stem}.yaml", image)
        errors = image.with_name(f"{path.stem}-indices-error.svg")
        drawn = [image, errors] if "parameters_analysis" in ds else [image]
        assert "## Data assimilation" in text and f"`{record['command']}`" in text
        assert all(f"]({d.name})" in text and d.read_text().startswith("<?xml") for d in drawn)
        after = ds["rmse"].values[int(ds.attrs["spinup"]) :]
        assert ds.attrs["rmse_mean"] == pytest.approx(after.mean())  # the caption's average
        assert f"average {number(ds.attrs['rmse_mean'])}" in text
        assert ds.sizes["cycle"] == len(ds["time"]) and bool((ds["spread"] >= 0).all())
