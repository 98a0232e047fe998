"""The lessons, unchanged, against a team's server: real ``mlflow server`` on PostgreSQL.

This is where a class goes when it outgrows one machine (README, "One class, one server").
Every lesson runs twice into the same server, as two students of one class would: first
with real MLflow's client (``TRACKER = "mlflow"``), then with minitrack's own client of
the server (``TRACKER = "minitrack"`` and an ``http://`` URI). Then real MLflow reads back
what both logged. Lesson 06 still starts its own local server for its scenario 2; its
scenario 3 (``TEAM_TRACKING_URI``) is this whole run, so it is left empty here.
"""

from __future__ import annotations

import pytest

from course import runner
from course.lessons import LESSONS, by_number

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]

EXPERIMENT = "nyc-taxi-experiment"
TRACKERS = ("mlflow", "minitrack")


@pytest.fixture(scope="module")
def class_server(mlflow_on_postgres, course_kernel, lessons_dir, tmp_path_factory):
    """The server, after both students' lessons: {tracker: the runner's results}."""
    results = {}
    for tracker in TRACKERS:
        results[tracker] = runner.run_lessons(
            lessons_dir,
            tmp_path_factory.mktemp(f"lessons-{tracker}-on-postgres"),
            tracker=tracker,
            fast=True,
            kernel_name=course_kernel,
            progress=False,
            tracking_uri=mlflow_on_postgres.url,
        )
    return mlflow_on_postgres.url, results


@pytest.mark.parametrize("tracker", TRACKERS)
def test_every_lesson_passes_against_mlflow_on_postgres(class_server, tracker):
    _, results = class_server

    assert [(r.lesson, r.status) for r in results[tracker]] == [
        (lesson.name, "passed") for lesson in LESSONS
    ], [r.message for r in results[tracker]]
    assert [r.runs_logged for r in results[tracker]] == [lesson.fast_runs for lesson in LESSONS]


def test_real_mlflow_reads_both_students_sweeps_and_models_from_postgres(class_server, monkeypatch):
    import mlflow

    url, _ = class_server
    # MLflow resolves models:/ through its global tracking URI
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    client = mlflow.MlflowClient(url)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    sweep = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost'")
    selected = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost-selected'")
    model = client.get_registered_model("nyc-taxi-regressor")
    versions = client.search_model_versions("name = 'nyc-taxi-regressor'")

    assert len(sweep) == 2 * by_number("02").fast["NUM_TRIALS"]  # one sweep per student
    assert all(r.info.status == "FINISHED" and "rmse" in r.data.metrics for r in sweep)
    assert len(selected) == 2
    # lesson 05 registered two candidates per student; the second student's aliases moved
    assert sorted(int(v.version) for v in versions) == [1, 2, 3, 4]
    assert set(model.aliases) == {"champion", "challenger"}
    assert sorted(model.aliases.values()) == [3, 4]
    champion = mlflow.pyfunc.load_model("models:/nyc-taxi-regressor@champion")
    assert champion.metadata.flavors["xgboost"]
