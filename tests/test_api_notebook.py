"""The Python API in a real Jupyter kernel (issue 18 point 1): a model defined in a
cell, run on uqscale's own cluster of worker processes, its indices read back."""

from __future__ import annotations

import html
import importlib.util

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

CELLS = [
    "import numpy as np\nimport uqscale as uq",
    "f = lambda x1, x2: {'y': x1 + 3 * x2}",
    "study = uq.Study(name='nb', seed=1,\n"
    "    inputs={'x1': uq.Uniform(0, 1), 'x2': uq.Uniform(0, 1)},\n"
    "    models=[uq.ModelStep('f', python=f, inputs=['x1', 'x2'], outputs=['y'])],\n"
    "    analysis=[uq.Analysis('sobol', n=64)], execution=uq.Execution(workers=1))\n"
    "run = uq.run(study, out='runs/nb', report=False)",
    "import distributed; print('client left over:', distributed.client._get_global_client())",
    "print('S1', *np.round(run.indices()['S1'].values, 3))",
]


@pytest.mark.slow
def test_a_notebook_runs_a_cell_defined_model(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert "client left over: None" in outputs[3]  # the run's own cluster was closed
    s1 = [float(v) for v in outputs[4].split()[1:]]
    # y = x1 + 3 x2 with uniform inputs: S1 = (1, 9) / 10 exactly.
    assert s1 == pytest.approx([0.1, 0.9], abs=0.1)
    assert (tmp_path / "runs" / "nb" / "results.nc").is_file()
    # h18 (issue 18 point 3): the run drew its progress bar, a widget with ipywidgets
    # (its final state stored in the notebook), else tqdm's text on standard error.
    samples = 64 * (2 + 2)
    if importlib.util.find_spec("ipywidgets") is None:
        bar = "".join(o.get("text", "") for o in notebook.cells[2].outputs)
        assert f"{samples}/{samples}" in bar.split("\r")[-1]
        return
    assert any("widget-view+json" in str(o.get("data")) for o in notebook.cells[2].outputs)
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = [m["state"] for m in state.values()]
    html_models = [m for m in models if m["_model_name"] == "HTMLModel"]
    progress = [m for m in models if m["_model_name"] == "FloatProgressModel"]
    assert [(m["value"], m["max"]) for m in progress] == [(samples, samples)]
    # tqdm's widget text: HTML, with figure spaces
    texts = [html.unescape(m["value"]).replace("\u2007", " ") for m in html_models]
    assert any(f"{samples}/{samples}" in t and "0 failed, 0 retried" in t for t in texts)
