"""The documentation's own machinery: examples that fail fail the build, and the
generated pages follow the code and the study files."""

from __future__ import annotations

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
        run = yaml.safe_load(record.read_text())
        assert f"]({image.name})" in text and f"{run['samples']:,} samples" in text
        svg = image.read_text()
        assert svg.startswith("<?xml") and "<svg" in svg
    assert uqscale_docs.indices_figure(DOCS.parent / "studies" / "nowhere.yaml", image) == ""
