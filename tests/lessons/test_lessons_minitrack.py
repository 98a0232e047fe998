"""Every lesson, executed by papermill under the course kernel on minitrack with the fast
settings, then checked through the tracking store and the check-your-work verdicts."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import pytest

import minitrack
from course import runner
from course.lessons import LESSONS, by_number

pytestmark = pytest.mark.slow

EXPERIMENT = "nyc-taxi-experiment"


@pytest.fixture(scope="module")
def course_run(course_kernel, run_fast_lessons, tmp_path_factory):
    """Every lesson run in order in one working folder, as `course lessons --fast` does."""
    folder = tmp_path_factory.mktemp("lessons")
    results = run_fast_lessons(folder, "minitrack", course_kernel)
    return folder, {result.lesson: result for result in results}


@pytest.fixture(scope="module")
def client(course_run):
    """A client on the lessons' store; `runs:/` URIs resolve against it too."""
    folder, _ = course_run
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLFLOW_TRACKING_URI", runner.store_uri(folder))
        minitrack.set_tracking_uri(None)
        yield minitrack.MlflowClient()
    minitrack.set_tracking_uri(None)


def runs_tagged(client, model: str):
    experiment = client.get_experiment_by_name(EXPERIMENT)
    return client.search_runs([experiment.experiment_id], f"tags.model = '{model}'")


def test_every_lesson_passes_its_checks(course_run, verdicts_of):
    folder, results = course_run

    assert {name: r.status for name, r in results.items()} == {
        lesson.name: "passed" for lesson in LESSONS
    }, {name: r.message for name, r in results.items()}
    assert [r.runs_logged for r in results.values()] == [lesson.fast_runs for lesson in LESSONS]
    for name, result in results.items():
        assert result.output == folder / f"{name}.ipynb"
        assert all(v["ok"] for v in verdicts_of(folder, name).values())


def test_executed_notebooks_keep_their_outputs_and_the_check_summary(course_run):
    folder, _ = course_run
    notebook = json.loads((folder / "01-single-run.ipynb").read_text())
    printed = "".join(
        "".join(output.get("text", ""))
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )

    assert "Data source: synthetic" in printed
    assert "checks passed. Well done!" in printed


def test_lesson_00_wrote_a_test_run_and_read_it_back(client):
    experiment = client.get_experiment_by_name("check-your-setup")
    (run,) = client.search_runs([experiment.experiment_id])

    assert run.data.params == {"hello": "world"}
    assert run.data.metrics == {"one": 1.0}


def test_lesson_01_tracked_a_lasso_run_with_its_files(client, tmp_path):
    (run,) = runs_tagged(client, "lasso")
    params, metrics = run.data.params, run.data.metrics

    assert run.data.tags["developer"] == "student"
    assert params["alpha"] == "0.01"
    assert params["train-data-path"].startswith("synthetic:green_tripdata_2021-01")
    assert params["valid-data-path"].startswith("synthetic:green_tripdata_2021-02")
    assert 2 < metrics["rmse"] < 9  # "a few minutes"
    assert metrics["training_time_s"] > 0
    assert metrics["model_size_bytes"] > 0

    local = client.download_artifacts(run.info.run_id, "preprocessor", str(tmp_path))
    with open(f"{local}/preprocessor.b", "rb") as f_in:
        dv = pickle.load(f_in)
    assert "trip_distance" in dv.feature_names_
    assert any(name.startswith("PU_DO=") for name in dv.feature_names_)
    assert [f.path for f in client.list_artifacts(run.info.run_id, "models_pickle")] == [
        "models_pickle/lasso.bin"
    ]


def test_lesson_02_logged_one_tagged_run_per_trial(client):
    runs = runs_tagged(client, "xgboost")

    assert len(runs) == by_number("02").fast["NUM_TRIALS"]
    for run in runs:
        assert run.info.status == "FINISHED"
        assert {"max_depth", "learning_rate", "reg_alpha", "reg_lambda", "min_child_weight"} <= (
            set(run.data.params)
        )
        assert run.data.params["objective"] == "reg:squarederror"
        assert 4 <= int(run.data.params["max_depth"]) <= 100
        assert math.isfinite(run.data.metrics["rmse"])
        assert run.data.metrics["model_size_bytes"] > 0


def test_lesson_03_picked_the_run_its_rule_names_and_retrained_it(client):
    sweep = runs_tagged(client, "xgboost")
    (final,) = runs_tagged(client, "xgboost-selected")

    # The rule the lesson states: within 2% of the best RMSE, then the smallest model,
    # then the fastest training.
    best = min(r.data.metrics["rmse"] for r in sweep)
    near_best = [r for r in sweep if r.data.metrics["rmse"] <= best * 1.02]
    expected = min(
        near_best,
        key=lambda r: (r.data.metrics["model_size_bytes"], r.data.metrics["training_time_s"]),
    )
    assert final.data.tags["selected_from"] == expected.info.run_id
    for key in ("max_depth", "learning_rate", "reg_alpha", "reg_lambda", "min_child_weight"):
        assert final.data.params[key] == expected.data.params[key]
    model = minitrack.pyfunc.load_model(f"runs:/{final.info.run_id}/model")
    assert model.metadata.flavors["xgboost"]


def test_lesson_04_autologged_a_model_that_loads_and_predicts(client, tmp_path):
    (run,) = runs_tagged(client, "xgboost-autolog")
    history = client.get_metric_history(run.info.run_id, "validation-rmse")

    assert [m.step for m in history] == list(range(len(history)))
    assert len(history) > 1
    assert {"training_time_s", "model_size_bytes"} <= set(run.data.metrics)
    folder = minitrack.artifacts.download_artifacts(
        artifact_uri=f"runs:/{run.info.run_id}/model", dst_path=str(tmp_path)
    )
    assert {"MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt"} <= {
        p.name for p in Path(folder).iterdir()
    }

    from course import features, synthetic

    trips = features.prepare(synthetic.generate("2021-02", rows=50))
    train = features.prepare(synthetic.generate("2021-01", rows=3000))
    built = features.build(train, trips)
    predictions = minitrack.pyfunc.load_model(f"runs:/{run.info.run_id}/model").predict(built.X_val)
    assert len(predictions) == len(trips)
    assert all(0 < p < 90 for p in predictions)  # minutes, for trips of 1 to 60 minutes


def test_lesson_05_registered_both_candidates_with_aliases_tags_and_descriptions(client):
    model = client.get_registered_model("nyc-taxi-regressor")
    found = client.search_model_versions("name = 'nyc-taxi-regressor'")
    versions = {int(v.version): v for v in found}
    (selected,) = runs_tagged(client, "xgboost-selected")
    (autologged,) = runs_tagged(client, "xgboost-autolog")

    assert sorted(versions) == [1, 2]
    assert {v.run_id for v in versions.values()} == {selected.info.run_id, autologged.info.run_id}
    assert set(model.aliases) == {"champion", "challenger"}
    assert sorted(model.aliases.values()) == [1, 2]
    assert model.tags == {"task": "regression"}
    assert "taxi" in model.description
    for version in versions.values():
        assert {"trained_by", "validation_rmse"} <= set(version.tags)
        assert version.description.startswith("XGBoost from lesson")
    # Both aliases were scored on the third month; the champion did no worse.
    champion = client.get_model_version_by_alias("nyc-taxi-regressor", "champion")
    challenger = client.get_model_version_by_alias("nyc-taxi-regressor", "challenger")
    assert float(champion.tags["test_rmse"]) <= float(challenger.tags["test_rmse"])


def test_lesson_05_champion_loads_by_alias_and_scores_the_third_month(client):
    from course import features, synthetic

    train = features.prepare(synthetic.generate("2021-01", rows=3000))
    march = features.prepare(synthetic.generate("2021-03", rows=200))
    built = features.build(train, march)
    model = minitrack.pyfunc.load_model("models:/nyc-taxi-regressor@champion")
    predictions = model.predict(built.X_val)
    errors = [(p - y) ** 2 for p, y in zip(predictions, built.y_val, strict=True)]
    rmse = math.sqrt(sum(errors) / len(errors))

    assert 1 < rmse < 12  # minutes, as the lesson printed for the whole month


def _printed(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))


def test_lesson_06_logged_the_sweep_through_its_server_and_registered_the_best(course_run):
    folder, _ = course_run
    server_store = minitrack.MlflowClient(tracking_uri=f"sqlite:///{folder / 'backend.db'}")
    local_store = minitrack.MlflowClient(tracking_uri=runner.store_uri(folder))
    alphas = by_number("06").fast["ALPHAS"]

    experiment = server_store.get_experiment_by_name("tracking-in-practice")
    sweep = server_store.search_runs([experiment.experiment_id], "tags.model = 'ridge'")
    assert sorted(float(r.data.params["alpha"]) for r in sweep) == sorted(alphas)
    assert {r.info.status for r in sweep} == {"FINISHED"}
    best = min(sweep, key=lambda r: r.data.metrics["rmse"])
    (version,) = server_store.search_model_versions("name = 'nyc-taxi-ridge'")
    assert version.run_id == best.info.run_id
    # Scenario 1 wrote one run to the local file, and the sweep none.
    local = local_store.get_experiment_by_name("tracking-in-practice")
    (only,) = local_store.search_runs([local.experiment_id])
    assert only.data.params["alpha"] == str(alphas[0])
    assert {r.info.run_id for r in sweep}.isdisjoint({only.info.run_id})


def test_lesson_06_stopped_the_server_it_started(course_run):
    import re
    import socket

    folder, _ = course_run
    printed = _printed(folder / "06-tracking-in-practice.ipynb")
    port = int(re.search(r"listening on http://127\.0\.0\.1:(\d+)", printed).group(1))

    assert "server stopped: True" in printed
    with socket.socket() as s, pytest.raises(OSError):
        s.connect(("127.0.0.1", port))
    assert "minitrack" in (folder / "server.log").read_text()
