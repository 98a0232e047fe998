"""minitrack as a client of a real ``mlflow server`` (MLflow 3.17, one per module).

A student's whole flow through ``import minitrack as mlflow`` against the server, then
real MLflow's client reads back what minitrack wrote; and the other way round. Where
both read the same thing, the test compares them.

Kept differences (asserted where they show):
- minitrack's log_model writes the model both into the run's artifacts (so runs:/ URIs
  and the run's artifact list show it, as before MLflow 3) and into the server's folder
  for its logged model (where MLflow 3 looks for models:/m-<id>); MLflow 3 writes only
  the latter. Both load either URI.
- MLflow's side logs sklearn models as cloudpickle: minitrack does not read MLflow
  3.17's default skops format.
"""

from __future__ import annotations

import math
import os

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient as RealClient

import minitrack
from minitrack import MinitrackException, MlflowClient
from minitrack.entities import Metric, Param, RunTag

pytestmark = pytest.mark.slow


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 3
    return X, y


@pytest.fixture
def real(mlflow_server):
    """Real MLflow's client of the same server."""
    mlflow.set_tracking_uri(mlflow_server.url)
    yield RealClient(mlflow_server.url)
    mlflow.set_tracking_uri(None)


def test_a_student_flow_written_by_minitrack_reads_the_same_in_mlflow(
    mlflow_server, real, experiment_name, data, tmp_path
):
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_squared_error

    X, y = data
    minitrack.set_tracking_uri(mlflow_server.url)
    experiment = minitrack.set_experiment(experiment_name)
    notes = tmp_path / "notes.md"
    notes.write_text("trained on synthetic taxi rides\n")
    with minitrack.start_run(run_name="baseline") as run:
        minitrack.log_params({"fit_intercept": True, "features": 3})
        model = LinearRegression().fit(X, y)
        rmse = mean_squared_error(y, model.predict(X)) ** 0.5
        for step, value in enumerate([3.0, 2.0, rmse]):
            minitrack.log_metric("rmse", value, step=step)
        minitrack.log_metric("odd", float("nan"))
        minitrack.set_tags({"team": "taxi", "stage": "dev"})
        minitrack.log_artifact(str(notes), "docs")
        minitrack.log_text("hello", "texts/hello.txt")
        minitrack.log_dict({"a": 1}, "config.json")
        info = minitrack.sklearn.log_model(model, name="model", input_example=X[:3])
    run_id = run.info.run_id

    # What minitrack reads back.
    client = MlflowClient()
    mine = client.get_run(run_id)
    assert mine.info.status == "FINISHED" and mine.info.run_name == "baseline"
    assert (
        mine.info.artifact_uri == f"mlflow-artifacts:/{experiment.experiment_id}/{run_id}/artifacts"
    )
    assert mine.info.start_time > 0 and mine.info.end_time >= mine.info.start_time
    assert mine.data.params == {"fit_intercept": "True", "features": "3"}
    assert mine.data.metrics["rmse"] == pytest.approx(rmse)
    assert math.isnan(mine.data.metrics["odd"])
    assert [m.value for m in client.get_metric_history(run_id, "rmse")] == [3.0, 2.0, rmse]

    # What real MLflow reads back: the same.
    theirs = real.get_run(run_id)
    assert theirs.info.run_name == mine.info.run_name
    assert theirs.info.start_time == mine.info.start_time
    assert theirs.info.end_time == mine.info.end_time
    assert theirs.data.params == mine.data.params
    assert theirs.data.tags == mine.data.tags
    assert theirs.data.metrics["rmse"] == mine.data.metrics["rmse"]
    assert math.isnan(theirs.data.metrics["odd"])
    history = [(m.step, m.value) for m in real.get_metric_history(run_id, "rmse")]
    assert history == [(m.step, m.value) for m in client.get_metric_history(run_id, "rmse")]

    ours = {f.path: (f.is_dir, f.file_size) for f in client.list_artifacts(run_id)}
    theirs_listing = {f.path: (f.is_dir, f.file_size) for f in real.list_artifacts(run_id)}
    assert ours == theirs_listing
    assert set(ours) == {"config.json", "docs", "model", "texts"}
    assert {f.path for f in client.list_artifacts(run_id, "model")} == {
        f.path for f in real.list_artifacts(run_id, "model")
    }
    got = real.download_artifacts(run_id, "docs/notes.md", str(tmp_path / "theirs"))
    with open(got) as f:
        assert f.read() == "trained on synthetic taxi rides\n"
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/texts/hello.txt") == "hello"

    # The model loads in both, from the server, and predicts the same.
    expected = model.predict(X[:5])
    np.testing.assert_allclose(minitrack.pyfunc.load_model(info.model_uri).predict(X[:5]), expected)
    np.testing.assert_allclose(
        minitrack.sklearn.load_model(info.model_uri).predict(X[:5]), expected
    )
    np.testing.assert_allclose(mlflow.pyfunc.load_model(info.model_uri).predict(X[:5]), expected)
    # MLflow 3 sees the logged model as the run's output, with the id MLmodel names.
    assert [o.model_id for o in theirs.outputs.model_outputs] == [info.model_id]
    assert real.get_logged_model(info.model_id).source_run_id == run_id
    np.testing.assert_allclose(
        mlflow.pyfunc.load_model(f"models:/{info.model_id}").predict(X[:5]), expected
    )


def test_search_runs_as_frame_and_list_match_mlflows(mlflow_server, real, experiment_name):
    minitrack.set_tracking_uri(mlflow_server.url)
    experiment = minitrack.set_experiment(experiment_name)
    for i in range(7):
        with minitrack.start_run(run_name=f"trial-{i}"):
            minitrack.log_param("max_depth", i)
            minitrack.log_metric("rmse", 10.0 - i)
            minitrack.set_tag("parity", "even" if i % 2 == 0 else "odd")
    ids = [experiment.experiment_id]
    query = {"filter_string": "metrics.rmse <= 8 and tags.parity = 'even'",
             "order_by": ["metrics.rmse ASC"]}  # fmt: skip

    frame = minitrack.search_runs(ids, **query)
    theirs = mlflow.search_runs(ids, **query)
    assert list(frame["tags.mlflow.runName"]) == ["trial-6", "trial-4", "trial-2"]
    assert list(frame["run_id"]) == list(theirs["run_id"])
    shared = ["run_id", "experiment_id", "status", "artifact_uri", "metrics.rmse",
              "params.max_depth", "tags.parity", "tags.mlflow.runName"]  # fmt: skip
    assert frame[shared].astype(str).values.tolist() == theirs[shared].astype(str).values.tolist()
    assert (frame["start_time"] == theirs["start_time"]).all()

    runs = minitrack.search_runs(ids, output_format="list", **query)
    assert [r.info.run_id for r in runs] == list(theirs["run_id"])

    # Paging with page tokens walks every run once, in order.
    client = MlflowClient()
    seen, token = [], None
    while True:
        page = client.search_runs(ids, order_by=["params.max_depth ASC"], max_results=3,
                                  page_token=token)  # fmt: skip
        seen += [r.data.params["max_depth"] for r in page]
        token = page.token
        if token is None:
            break
    assert seen == [str(i) for i in range(7)]


def test_hyperopt_style_batches_and_autolog_reach_the_server(
    mlflow_server, real, experiment_name, data
):
    from sklearn.ensemble import RandomForestRegressor

    X, y = data
    minitrack.set_tracking_uri(mlflow_server.url)
    minitrack.set_experiment(experiment_name)
    client = MlflowClient()
    with minitrack.start_run() as parent:
        run_id = parent.info.run_id
        # More entries than one log-batch request takes (1000 metrics, 100 params).
        metrics = [Metric("loss", float(i), 1_700_000_000_000 + i, i) for i in range(1500)]
        params = [Param(f"p{i}", str(i)) for i in range(150)]
        tags = [RunTag(f"t{i}", "x") for i in range(120)]
        client.log_batch(run_id, metrics, params, tags)
    assert len(real.get_metric_history(run_id, "loss")) == 1500
    assert len(real.get_run(run_id).data.params) == 150

    minitrack.sklearn.autolog()
    try:
        with minitrack.start_run() as run:
            RandomForestRegressor(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    finally:
        minitrack.sklearn.autolog(disable=True)
    theirs = real.get_run(run.info.run_id)
    assert theirs.data.params["n_estimators"] == "5"
    assert "training_score" in theirs.data.metrics
    assert "model" in {f.path for f in real.list_artifacts(run.info.run_id)}
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.predict(X[:2]).shape == (2,)


def test_xgboost_models_logged_by_minitrack_load_in_mlflow(
    mlflow_server, real, experiment_name, data
):
    import xgboost as xgb

    X, y = data
    minitrack.set_tracking_uri(mlflow_server.url)
    minitrack.set_experiment(experiment_name)
    booster = xgb.train({"max_depth": 2, "objective": "reg:squarederror"},
                        xgb.DMatrix(X, label=y), num_boost_round=5)  # fmt: skip
    with minitrack.start_run():
        info = minitrack.xgboost.log_model(booster, name="booster")
    expected = booster.predict(xgb.DMatrix(X[:4]))
    np.testing.assert_allclose(mlflow.xgboost.load_model(info.model_uri).predict(
        xgb.DMatrix(X[:4])), expected)  # fmt: skip
    np.testing.assert_allclose(minitrack.pyfunc.load_model(info.model_uri).predict(X[:4]), expected)


def test_what_mlflow_writes_minitrack_reads(mlflow_server, real, experiment_name, data, tmp_path):
    from sklearn.linear_model import Ridge

    X, y = data
    mlflow.set_experiment(experiment_name)
    model = Ridge().fit(X, y)
    with mlflow.start_run(run_name="theirs") as run:
        mlflow.log_param("alpha", 1.0)
        mlflow.log_metric("rmse", 0.25, step=0)
        mlflow.log_metric("rmse", 0.125, step=1)
        mlflow.set_tag("by", "mlflow")
        mlflow.log_text("from mlflow", "texts/t.txt")
        # cloudpickle: minitrack does not read MLflow 3.17's default skops format.
        info = mlflow.sklearn.log_model(model, name="model", serialization_format="cloudpickle")
    run_id = run.info.run_id

    minitrack.set_tracking_uri(mlflow_server.url)
    client = MlflowClient()
    mine = client.get_run(run_id)
    assert mine.info.run_name == "theirs"
    assert mine.data.params == {"alpha": "1.0"}
    assert mine.data.metrics == {"rmse": 0.125}
    assert mine.data.tags["by"] == "mlflow"
    assert [m.value for m in client.get_metric_history(run_id, "rmse")] == [0.25, 0.125]
    assert minitrack.artifacts.load_text(f"runs:/{run_id}/texts/t.txt") == "from mlflow"
    experiment = minitrack.get_experiment_by_name(experiment_name)
    assert experiment.experiment_id == run.info.experiment_id
    frame = minitrack.search_runs([experiment.experiment_id])
    assert list(frame["run_id"]) == [run_id]
    # MLflow 3 keeps the model as a logged model, outside the run's artifacts.
    assert info.model_uri.startswith("models:/m-")
    np.testing.assert_allclose(
        minitrack.pyfunc.load_model(info.model_uri).predict(X[:3]), model.predict(X[:3])
    )
    assert client.get_logged_model(info.model_id).source_run_id == run_id
    folder = client.download_artifacts(run_id, "texts", str(tmp_path / "mine"))
    assert os.listdir(folder) == ["t.txt"]


def test_errors_of_the_server_come_back_as_minitrack_exceptions(mlflow_server, experiment_name):
    minitrack.set_tracking_uri(mlflow_server.url)
    client = MlflowClient()
    assert client.get_experiment_by_name(experiment_name) is None
    exp_id = client.create_experiment(experiment_name)
    with pytest.raises(MinitrackException) as caught:
        client.create_experiment(experiment_name)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MinitrackException) as caught:
        client.get_run("0" * 32)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    run = client.create_run(exp_id)
    client.log_param(run.info.run_id, "lr", "0.1")
    with pytest.raises(MinitrackException) as caught:
        client.log_param(run.info.run_id, "lr", "0.2")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}  # nothing harmed
    with pytest.raises(MinitrackException) as caught:
        client.search_runs([exp_id], filter_string="metrics.rmse <<< 3")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MinitrackException):
        client.download_artifacts(run.info.run_id, "missing.txt")
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    client.restore_experiment(exp_id)
    client.rename_experiment(exp_id, experiment_name + "-renamed")
    client.set_experiment_tag(exp_id, "k", "v")
    assert client.get_experiment(exp_id).tags["k"] == "v"
    client.delete_experiment_tag(exp_id, "k")
    assert "k" not in client.get_experiment(exp_id).tags
    names = [
        e.name for e in client.search_experiments(filter_string=f"name LIKE '{experiment_name}%'")
    ]
    assert names == [experiment_name + "-renamed"]


def test_paging_through_a_server_fetches_each_result_about_once(
    mlflow_server, experiment_name, monkeypatch
):
    """The next page starts at the server's token for it, not at the first result again."""
    import requests

    minitrack.set_tracking_uri(mlflow_server.url)
    exp_id = minitrack.create_experiment(experiment_name)
    client = MlflowClient()
    made = [client.create_run(exp_id, start_time=1_700_000_000_000 + i) for i in range(23)]

    asked = []  # max_results of every runs/search request that reaches the server
    send = requests.Session.request

    def counted(session, method, url, **kwargs):
        if url.endswith("/runs/search"):
            asked.append(kwargs["json"]["max_results"])
        return send(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counted)
    seen, token = [], None
    while True:
        page = client.search_runs([exp_id], max_results=5, page_token=token)
        seen += [r.info.run_id for r in page]
        token = page.token
        if token is None:
            break
    # Newest first, every run once; the same order real MLflow's client pages in.
    assert seen == [r.info.run_id for r in reversed(made)]
    # 5 pages of at most 6 (one more, to know whether there is another page): each page
    # costs its own results plus one, never the pages before it again.
    assert sum(asked) <= 23 + 2 * 5, asked
