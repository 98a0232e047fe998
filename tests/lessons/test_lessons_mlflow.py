"""The same lessons, unchanged, on real MLflow (TRACKER = "mlflow"): what students learn
transfers as is.

Where the machine has PostgreSQL (CI installs it), they log to the team's server of the
README's "One class, one server": a real ``mlflow server`` on PostgreSQL (tests/conftest.py's
``mlflow_on_postgres``); elsewhere to a local SQLite file, as a student's laptop would. One
run, not two: the server path is the one the local file's lacks (REST, PostgreSQL), and
both go through MLflow's own SQLAlchemy store. tests/lessons/test_lessons_on_postgres.py
then runs them again into the same server with minitrack's client of it.
"""

from __future__ import annotations

import pytest

from course import runner
from course.lessons import LESSONS, by_number

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]


@pytest.fixture(scope="module")
def mlflow_run(course_kernel, run_fast_lessons, tmp_path_factory, request):
    """(working folder, results, the tracking URI the lessons logged to)."""
    pytest.importorskip("mlflow")
    from tests.servers import why_no_postgres

    folder = tmp_path_factory.mktemp("lessons-mlflow")
    if why_no_postgres() is None:
        uri = request.getfixturevalue("mlflow_on_postgres").url
    else:
        uri = runner.store_uri(folder)
    results = run_fast_lessons(folder, "mlflow", course_kernel, uri)
    return folder, results, uri


def test_every_lesson_passes_its_checks_on_mlflow(mlflow_run, verdicts_of):
    folder, results, _ = mlflow_run

    assert [(r.lesson, r.status) for r in results] == [
        (lesson.name, "passed") for lesson in LESSONS
    ], [r.message for r in results]
    assert [r.runs_logged for r in results] == [lesson.fast_runs for lesson in LESSONS]
    assert all(v["ok"] for v in verdicts_of(folder, "04-autologging").values())
    assert all(v["ok"] for v in verdicts_of(folder, "05-model-registry").values())


def test_mlflow_store_holds_the_sweep_and_a_loadable_model(mlflow_run, monkeypatch):
    import mlflow

    _, _, uri = mlflow_run
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # MLflow resolves runs:/ models through it
    # ... unless an earlier test in this process called mlflow.set_tracking_uri: clear that.
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("nyc-taxi-experiment")
    sweep = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost'")
    (final,) = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost-selected'")

    assert len(sweep) == by_number("02").fast["NUM_TRIALS"]
    assert {run.data.params["objective"] for run in sweep} == {"reg:squarederror"}
    booster = mlflow.xgboost.load_model(f"runs:/{final.info.run_id}/model")
    assert booster.num_features() > 1


def test_mlflow_registry_holds_the_model_with_both_aliases(mlflow_run, monkeypatch):
    import mlflow

    _, _, uri = mlflow_run
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    client = mlflow.MlflowClient(tracking_uri=uri)
    model = client.get_registered_model("nyc-taxi-regressor")

    assert set(model.aliases) == {"champion", "challenger"}
    assert sorted(int(v) for v in model.aliases.values()) == [1, 2]
    champion = client.get_model_version_by_alias("nyc-taxi-regressor", "champion")
    assert {"validation_rmse", "test_rmse"} <= set(champion.tags)
    loaded = mlflow.pyfunc.load_model("models:/nyc-taxi-regressor@champion")
    assert loaded.metadata.flavors["xgboost"]


def test_mlflow_server_of_lesson_06_holds_the_sweep_and_the_registered_model(
    mlflow_run, monkeypatch, verdicts_of
):
    import mlflow

    folder, _, _ = mlflow_run
    uri = f"sqlite:///{folder / 'backend.db'}"  # what `mlflow server` wrote
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tracking-in-practice")
    sweep = client.search_runs([experiment.experiment_id], "tags.model = 'ridge'")
    (version,) = client.search_model_versions("name = 'nyc-taxi-ridge'")

    assert sorted(float(r.data.params["alpha"]) for r in sweep) == sorted(
        by_number("06").fast["ALPHAS"]
    )
    assert version.run_id == min(sweep, key=lambda r: r.data.metrics["rmse"]).info.run_id
    loaded = mlflow.pyfunc.load_model("models:/nyc-taxi-ridge/1")
    assert loaded.metadata.flavors["sklearn"]
    assert all(v["ok"] for v in verdicts_of(folder, "06-tracking-in-practice").values())
