"""The check-your-work verdicts fail, and say what is missing, when the tracking is missing."""

from __future__ import annotations

import json
import re
import time

import papermill
import pytest

import minitrack
from course import checks, runner

EXPERIMENT = "nyc-taxi-experiment"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """minitrack pointed at a fresh store in tmp_path (the checks read the current URI).

    Through MLFLOW_TRACKING_URI, so nothing of it outlives the test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path.as_posix()}/mlflow.db")
    minitrack.set_tracking_uri(None)
    yield minitrack
    minitrack.set_tracking_uri(None)


def failing(verdicts) -> dict[str, str]:
    return {v.item: v.detail for v in verdicts if not v.ok}


def log_trial(mlflow, rmse=None, size=1000.0, seconds=1.0, **params):
    with mlflow.start_run() as run:
        mlflow.set_tag("model", "xgboost")
        mlflow.log_params(
            {
                "max_depth": 6,
                "learning_rate": 0.1,
                "reg_alpha": 0.1,
                "reg_lambda": 0.1,
                "min_child_weight": 1.0,
                "objective": "reg:squarederror",
            }
            | params
        )
        metrics = {"training_time_s": seconds, "model_size_bytes": size}
        if rmse is not None:
            metrics["rmse"] = rmse
        mlflow.log_metrics(metrics)
    return run.info.run_id


@pytest.mark.slow
def test_lesson_01_without_its_tracking_calls_fails_its_checks(
    course_kernel, lessons_dir, tmp_path, verdicts_of
):
    """A student who opens the run but logs nothing is told, item by item, what is missing."""
    original = json.loads((lessons_dir / "01-single-run.ipynb").read_text())
    logging_call = re.compile(r"^\s*mlflow\.(log_|set_tag)")
    for cell in original["cells"]:
        lines = "".join(cell["source"]).splitlines(keepends=True)
        cell["source"] = [line for line in lines if not logging_call.match(line)]
    stripped = tmp_path / "01-single-run.ipynb"
    stripped.write_text(json.dumps(original))

    papermill.execute_notebook(
        str(stripped),
        str(tmp_path / "executed.ipynb"),
        parameters=runner.parameters_for(stripped, "minitrack", "sqlite:///mlflow.db", fast=True),
        kernel_name=course_kernel,
        cwd=str(tmp_path),
        progress_bar=False,
    )
    verdicts = verdicts_of(tmp_path, "01-single-run")

    assert verdicts["Lasso run"]["ok"]  # the run itself was opened and finished
    for item in (
        "tag developer",
        "param train-data-path",
        "param valid-data-path",
        "param alpha",
        "metric rmse",
        "metric training_time_s",
        "metric model_size_bytes",
        "preprocessor artifact",
        "model artifact",
    ):
        assert not verdicts[item]["ok"], item
    assert 'mlflow.set_tag("developer"' in verdicts["tag developer"]["detail"]
    assert "log_artifact" in verdicts["preprocessor artifact"]["detail"]
    assert not checks.load_report("01-single-run", tmp_path / checks.RESULTS_DIR)["passed"]


def test_lesson_01_names_a_missing_experiment(store):
    verdicts = checks.lesson_01(store, EXPERIMENT)

    assert failing(verdicts) == {
        f"experiment '{EXPERIMENT}'": "does not exist. Call mlflow.set_experiment(...) before "
        "starting the run."
    }


def test_lesson_02_counts_trials_and_names_runs_without_rmse(store):
    store.set_experiment(EXPERIMENT)
    log_trial(store, rmse=5.0)
    log_trial(store, rmse=None)
    log_trial(store, rmse=5.5, objective="reg:linear")

    verdicts = failing(checks.lesson_02(store, EXPERIMENT, trials=4, since_ms=0))

    assert verdicts["one run per trial, tagged model=xgboost"].startswith(
        "found 3 runs tagged model=xgboost for 4 trials"
    )
    assert verdicts["every trial has metric rmse"].startswith("1 of 3 runs lack it")
    assert "reg:squarederror" in verdicts["every trial has objective reg:squarederror"]
    assert "every trial has hyperparameters" not in verdicts


def test_lesson_02_only_counts_runs_of_this_sweep(store):
    store.set_experiment(EXPERIMENT)
    log_trial(store, rmse=5.0)
    time.sleep(0.01)  # start times are in milliseconds: keep the earlier run strictly earlier
    since = store.get_run(log_trial(store, rmse=5.0)).info.start_time
    log_trial(store, rmse=5.0)

    verdicts = checks.lesson_02(store, EXPERIMENT, trials=2, since_ms=since)

    assert failing(verdicts) == {}


def test_lesson_03_says_which_run_the_rule_picks(store):
    store.set_experiment(EXPERIMENT)
    big = log_trial(store, rmse=5.00, size=9000.0)
    small = log_trial(store, rmse=5.05, size=1000.0)  # within 2%: the smaller model wins
    log_trial(store, rmse=6.00, size=10.0)  # smallest, but not good enough
    with store.start_run() as final:
        store.set_tag("selected_from", big)

    verdicts = failing(checks.lesson_03(store, EXPERIMENT, big, final.info.run_id, 0.02))

    assert verdicts["pick follows the rule"] == (
        f"the rule picks run {small[:8]}, you chose {big[:8]}. Re-run the selection cells in order."
    )
    assert "metric rmse" in verdicts
    assert "model logged at runs:/<run_id>/model" in verdicts


def test_strict_mode_raises_after_saving_the_verdicts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(checks.STRICT_ENV, "1")
    verdicts = [checks.Verdict("a", True, "fine"), checks.Verdict("b", False, "missing b")]

    with pytest.raises(checks.ChecksFailed, match="b"):
        checks.report(verdicts, lesson="99-demo", folder=tmp_path)

    assert "[missing] b: missing b" in capsys.readouterr().out
    assert checks.load_report("99-demo", tmp_path)["passed"] is False


def test_course_fast_makes_failed_checks_fail_the_notebook(tmp_path, monkeypatch):
    """So that `COURSE_FAST=1 pytest --nbmake lessons/` fails when a check fails."""
    monkeypatch.delenv(checks.STRICT_ENV, raising=False)
    monkeypatch.setenv("COURSE_FAST", "1")

    with pytest.raises(checks.ChecksFailed):
        checks.report([checks.Verdict("b", False, "missing b")], "99-demo", folder=tmp_path)


def test_report_without_strict_mode_prints_and_saves(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(checks.STRICT_ENV, raising=False)
    monkeypatch.delenv("COURSE_FAST", raising=False)
    verdicts = [checks.Verdict("a", True, "fine")]

    checks.report(verdicts, lesson="99-demo", folder=tmp_path)

    assert "1 of 1 checks passed. Well done!" in capsys.readouterr().out
    assert checks.load_report("99-demo", tmp_path)["passed"] is True


def register_two(mlflow, weights=(2.0, 3.0)):
    """Two versions of nyc-taxi-regressor from runs tagged as lessons 03 and 04 tag theirs,
    linear models y = w * x (the data below is y = 2x, so w = 2 is the better one)."""
    from sklearn.linear_model import LinearRegression

    import minitrack.sklearn

    mlflow.set_experiment(EXPERIMENT)
    for tag, weight in zip(("xgboost-selected", "xgboost-autolog"), weights, strict=True):
        with mlflow.start_run() as run:
            mlflow.set_tag("model", tag)
            model = LinearRegression().fit([[1.0], [2.0]], [weight, 2 * weight])
            minitrack.sklearn.log_model(model, name="model")
        mlflow.register_model(f"runs:/{run.info.run_id}/model", "nyc-taxi-regressor")
    return mlflow.MlflowClient()


X_MARCH, Y_MARCH = [[1.0], [2.0], [3.0]], [2.0, 4.0, 6.0]


def test_lesson_05_names_a_missing_model_and_missing_aliases(store):
    verdicts = checks.lesson_05(store, "nyc-taxi-regressor", X_MARCH, Y_MARCH, "2021-03")
    assert "register_model" in failing(verdicts)["registered model 'nyc-taxi-regressor'"]

    register_two(store)
    missing = failing(checks.lesson_05(store, "nyc-taxi-regressor", X_MARCH, Y_MARCH, "2021-03"))
    assert set(missing) == {"alias @champion", "alias @challenger"}
    assert "set_registered_model_alias" in missing["alias @champion"]


def test_lesson_05_says_to_promote_a_challenger_that_does_better(store):
    client = register_two(store)
    client.set_registered_model_alias("nyc-taxi-regressor", "champion", 2)  # the w = 3 model
    client.set_registered_model_alias("nyc-taxi-regressor", "challenger", 1)
    missing = failing(checks.lesson_05(store, "nyc-taxi-regressor", X_MARCH, Y_MARCH, "2021-03"))

    assert (
        'set_registered_model_alias("nyc-taxi-regressor", "champion", 1)'
        in (missing["the better model on 2021-03 is the champion"])
    )
    assert "update_registered_model" in missing["the model has a description and a tag"]
    assert (
        "validation_rmse, test_rmse"
        in (missing["the champion version has its RMSE tags and a description"])
    )

    client.set_registered_model_alias("nyc-taxi-regressor", "champion", 1)
    client.set_registered_model_alias("nyc-taxi-regressor", "challenger", 2)
    client.update_registered_model("nyc-taxi-regressor", description="Trip durations.")
    client.set_registered_model_tag("nyc-taxi-regressor", "task", "regression")
    client.set_model_version_tag("nyc-taxi-regressor", 1, "validation_rmse", "0.0")
    client.set_model_version_tag("nyc-taxi-regressor", 1, "test_rmse", "0.0")
    client.update_model_version("nyc-taxi-regressor", 1, description="The w = 2 model.")
    assert failing(checks.lesson_05(store, "nyc-taxi-regressor", X_MARCH, Y_MARCH, "2021-03")) == {}


def test_lesson_05_refuses_one_version_under_both_aliases(store):
    client = register_two(store)
    client.set_registered_model_alias("nyc-taxi-regressor", "champion", 1)
    client.set_registered_model_alias("nyc-taxi-regressor", "challenger", 1)
    missing = failing(checks.lesson_05(store, "nyc-taxi-regressor", X_MARCH, Y_MARCH, "2021-03"))
    assert "both point at version 1" in missing["champion and challenger are different versions"]
