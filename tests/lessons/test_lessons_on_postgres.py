"""The lessons with minitrack's own client of a team's server: real ``mlflow server`` on
PostgreSQL, the README's "One class, one server".

The lessons run with ``TRACKER = "minitrack"`` and the server's ``http://`` URI, into the
server the MLflow lessons of test_lessons_mlflow.py log to (one session-wide server): two
students of one class on one server. Real MLflow then reads back what this student logged.
Lesson 06 still starts its own local server for its scenario 2; its scenario 3
(``TEAM_TRACKING_URI``) is this whole run, so it is left empty here.
"""

from __future__ import annotations

import pytest

from course.lessons import LESSONS, by_number

pytestmark = [pytest.mark.slow, pytest.mark.mlflow]

EXPERIMENT = "nyc-taxi-experiment"
MODEL = "nyc-taxi-regressor"


def _sweep_and_versions(client) -> tuple[list, list]:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    sweep = (
        client.search_runs([experiment.experiment_id], "tags.model = 'xgboost'")
        if experiment
        else []
    )
    return sweep, client.search_model_versions(f"name = '{MODEL}'")


@pytest.fixture(scope="module")
def student_run(mlflow_on_postgres, course_kernel, run_fast_lessons, tmp_path_factory):
    """(the server's URL, the runner's results, the server's sweep runs and model versions
    before this student's lessons)."""
    import mlflow

    url = mlflow_on_postgres.url
    before = _sweep_and_versions(mlflow.MlflowClient(url))
    folder = tmp_path_factory.mktemp("lessons-minitrack-on-postgres")
    results = run_fast_lessons(folder, "minitrack", course_kernel, url)
    return url, results, before


def test_every_lesson_passes_with_minitracks_client_of_the_server(student_run):
    _, results, _ = student_run

    assert [(r.lesson, r.status) for r in results] == [
        (lesson.name, "passed") for lesson in LESSONS
    ], [r.message for r in results]
    assert [r.runs_logged for r in results] == [lesson.fast_runs for lesson in LESSONS]


def test_real_mlflow_reads_this_students_sweep_and_models_from_postgres(student_run, monkeypatch):
    import mlflow

    url, _, (sweep_before, versions_before) = student_run
    # MLflow resolves models:/ through its global tracking URI
    monkeypatch.setattr("mlflow.tracking._tracking_service.utils._tracking_uri", None)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    client = mlflow.MlflowClient(url)
    sweep, versions = _sweep_and_versions(client)
    old = {r.info.run_id for r in sweep_before}
    new_sweep = [r for r in sweep if r.info.run_id not in old]
    new_versions = sorted(int(v.version) for v in versions)[len(versions_before) :]
    model = client.get_registered_model(MODEL)

    assert len(new_sweep) == by_number("02").fast["NUM_TRIALS"]
    assert all(r.info.status == "FINISHED" and "rmse" in r.data.metrics for r in new_sweep)
    assert {r.data.params["objective"] for r in new_sweep} == {"reg:squarederror"}
    # lesson 05 registered two candidates and moved both aliases onto them
    assert len(new_versions) == 2
    assert sorted(int(v) for v in model.aliases.values()) == new_versions
    champion = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    assert champion.metadata.flavors["xgboost"]
