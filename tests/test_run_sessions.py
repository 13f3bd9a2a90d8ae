"""What a run keeps and tells between sessions, on a real Dask cluster: the study
folder on every worker's import path, warnings counted, analysis-only changes
re-analysed in place, --rerun, the report switch, no repeated worker logs."""

import json
import logging
import sys

import pytest
from distributed import Client, LocalCluster

import uqscale
from tests.small_studies import uqscale as command
from tests.small_studies import write_study
from uqscale.api import RunOptions, analyze, resume
from uqscale.errors import UqscaleError
from uqscale.execute.workerpath import study_folder_on_workers
from uqscale.study.files import load_study


def test_a_model_importing_a_helper_inside_the_function_runs_on_every_worker(tmp_path, client):
    study = load_study(write_study(tmp_path / "s", "lazy_helper"))
    result = uqscale.run(study, tmp_path / "run", client=client, batch_size=4)
    assert not result.failures
    expected = 2 * result.design["x1"].values + result.design["x2"].values
    assert result.results["y"].values == pytest.approx(expected)


@pytest.mark.slow
def test_workers_that_join_later_get_the_study_folder(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
        study_folder_on_workers(client, folder),
    ):
        cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
        on_path = client.run(lambda: str(folder.resolve()) in sys.path)
        assert list(on_path.values()) == [True, True]
    # and gone from a worker's path when the run ends
    with (
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        with study_folder_on_workers(client, folder):
            pass
        assert list(client.run(lambda: str(folder.resolve()) in sys.path).values()) == [False]


def test_model_warnings_are_counted_and_stored(tmp_path, client):
    study = load_study(write_study(tmp_path / "s", "overflows", n=24))
    result = uqscale.run(study, tmp_path / "run", client=client)
    assert result.warnings == {"RuntimeWarning: overflow encountered in exp": 24}
    stored = json.loads((tmp_path / "run" / "warnings.json").read_text())
    assert stored == result.warnings
    again = resume(tmp_path / "run", client=client, retry="all")
    assert again.warnings == {"RuntimeWarning: overflow encountered in exp": 48}


def test_changing_only_confidence_level_and_quantiles_reanalyses_in_place(tmp_path, client):
    analyses = [{"method": "moments", "n": 64, "quantiles": [0.5]}]
    folder = tmp_path / "s"
    study = load_study(write_study(folder, analysis=analyses))
    run = tmp_path / "run"
    first = uqscale.run(study, run, client=client)
    changed = load_study(
        write_study(
            folder,
            analysis=[
                {"method": "moments", "n": 64, "quantiles": [0.1, 0.9]},
                {"method": "moments", "n": 64, "label": "reused"},
            ],
            execution={"workers": 1},
        )
    )
    (folder / "smallmodels_uq.py").chmod(0o000)  # no model may run (nor be re-imported)
    again = uqscale.run(changed, run, client=client)
    (folder / "smallmodels_uq.py").chmod(0o644)
    assert again.ran == 0
    quantiles = again.indices["outputs"]["y"]["moments"]["quantiles"]
    assert set(quantiles) == {"0.1", "0.9"}
    assert (
        again.indices["outputs"]["y"]["reused"]["mean"]
        == first.indices["outputs"]["y"]["moments"]["mean"]
    )
    assert "0.9" in (run / "study.yaml").read_text()
    record = json.loads((run / "provenance.json").read_text())["reanalysed"]
    assert record[0]["change"].startswith("analysis[0].quantiles")


def test_analyze_set_records_its_study_file(tmp_path, client):
    study = load_study(write_study(tmp_path / "s", analysis=[{"method": "moments", "n": 64}]))
    run = tmp_path / "run"
    uqscale.run(study, run, client=client, report=False)
    assert not (run / "report.html").exists()  # --no-report / output.report
    done = command("analyze", run, "--set", "analysis.0.quantiles=[0.25]", "--no-report")
    assert done.returncode == 0, done.stderr
    assert (
        "0.25"
        in json.loads((run / "indices.json").read_text())["outputs"]["y"]["moments"]["quantiles"]
    )
    record = json.loads((run / "provenance.json").read_text())["reanalysed"][-1]
    assert record["study_file"] == str(run / "study.yaml")
    with pytest.raises(
        UqscaleError,
        match=r"--study changes more than the analyses "
        r"\(seed: 5 -> 9\); run it instead$",
    ):
        analyze(run, study.replace(seed=9))


def test_rerun_recomputes_every_sample_in_place(tmp_path, client):
    study = load_study(write_study(tmp_path / "s", n=16))
    run = tmp_path / "run"
    uqscale.run(study, run, client=client)
    again = uqscale.run(study, run, client=client, options=RunOptions(retry="all"))
    assert again.ran == 16 and not again.failures


def test_a_contract_breach_prints_one_line_without_dask_logs(tmp_path):
    study = write_study(tmp_path / "s", n=16)
    study.write_text(study.read_text().replace('"z"]', '"w"]'))
    done = command("run", study, "--out", tmp_path / "run", "--workers", "1")
    # Every sample fails its contract (ContractError), the folder is kept: exit 4, and
    # the closing lines name the cause once, with no Dask log blocks.
    assert done.returncode == 4
    assert "distributed" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("did not return output 'w' (it returned: y, z)") == 1
    assert "ContractError" in done.stderr


def test_output_report_false_is_a_study_key_that_round_trips(tmp_path):
    path = write_study(tmp_path / "s")
    path.write_text(path.read_text()[:-1] + ', "output": {"report": false}}')
    study = load_study(path)
    assert study.output.report is False
    assert study.to_dict()["output"] == {"report": False}
    assert load_study(path).replace().output == study.output
