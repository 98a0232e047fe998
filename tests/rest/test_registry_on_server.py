"""The registry through minitrack on a real ``mlflow server``, read back by real MLflow,
and registry entries MLflow made, used by minitrack.

Kept differences: none in what both read; MLflow's side logs sklearn models as
cloudpickle, since minitrack does not read MLflow 3.17's default skops format. (A
version's ``model_id`` is None on both: MLflow 3.17's server does not return it for a
version registered from a logged model.)
"""

from __future__ import annotations

import uuid
import warnings

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient as RealClient

import minitrack
from minitrack import MinitrackException, MlflowClient

pytestmark = pytest.mark.slow


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    return X, X @ np.array([2.0, -1.0]) + 0.5


@pytest.fixture
def real(mlflow_server):
    mlflow.set_tracking_uri(mlflow_server.url)
    yield RealClient(mlflow_server.url)
    mlflow.set_tracking_uri(None)


@pytest.fixture
def model_name() -> str:
    return f"taxi-{uuid.uuid4().hex[:8]}"


def test_register_alias_and_load_through_minitrack_then_mlflow(
    mlflow_server, real, experiment_name, model_name, data
):
    from sklearn.linear_model import LinearRegression

    X, y = data
    minitrack.set_tracking_uri(mlflow_server.url)
    minitrack.set_experiment(experiment_name)
    model = LinearRegression().fit(X, y)
    with minitrack.start_run() as run:
        info = minitrack.sklearn.log_model(model, name="model")
    first = minitrack.register_model(f"runs:/{run.info.run_id}/model", model_name)
    second = minitrack.register_model(info.model_uri, model_name)
    assert (first.version, second.version) == (1, 2)
    assert first.source == f"models:/{info.model_id}"  # MLflow 3's source for runs:/ URIs

    client = MlflowClient()
    client.set_registered_model_alias(model_name, "champion", 1)
    client.set_registered_model_alias(model_name, "challenger", "2")
    client.set_registered_model_tag(model_name, "team", "taxi")
    client.set_model_version_tag(model_name, 1, "validated", "yes")
    client.update_registered_model(model_name, description="NYC taxi duration")
    client.update_model_version(model_name, 2, description="retrained")

    # Real MLflow sees the same registry, and loads every URI form.
    theirs = real.get_registered_model(model_name)
    assert theirs.aliases == {"champion": "1", "challenger": "2"}
    assert theirs.tags == {"team": "taxi"}
    assert theirs.description == "NYC taxi duration"
    assert real.get_model_version(model_name, "1").tags == {"validated": "yes"}
    assert real.get_model_version(model_name, "2").description == "retrained"
    expected = model.predict(X[:3])
    for uri in (f"models:/{model_name}@champion", f"models:/{model_name}/2", info.model_uri):
        np.testing.assert_allclose(mlflow.pyfunc.load_model(uri).predict(X[:3]), expected)
        np.testing.assert_allclose(minitrack.pyfunc.load_model(uri).predict(X[:3]), expected)
    np.testing.assert_allclose(
        minitrack.pyfunc.load_model(f"models:/{info.model_id}").predict(X[:3]), expected
    )

    # minitrack reads it back as MLflow does.
    mine = client.get_registered_model(model_name)
    assert mine.aliases == {"champion": 1, "challenger": 2}
    assert client.get_model_version_by_alias(model_name, "challenger").version == 2
    found = client.search_model_versions(f"name = '{model_name}'", order_by=["version_number"])
    assert [mv.version for mv in found] == [1, 2]
    assert [m.name for m in client.search_registered_models(f"name = '{model_name}'")] == [
        model_name
    ]

    # Moving and dropping aliases, deprecated stages, deleting: the server's rules hold.
    client.set_registered_model_alias(model_name, "champion", 2)
    assert real.get_model_version_by_alias(model_name, "champion").version == "2"
    client.delete_registered_model_alias(model_name, "challenger")
    assert "challenger" not in real.get_registered_model(model_name).aliases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage(model_name, 1, "production")
        latest = client.get_latest_versions(model_name, ["Production"])
    assert [(mv.version, mv.current_stage) for mv in latest] == [(1, "Production")]
    assert real.get_model_version(model_name, "1").current_stage == "Production"
    with pytest.raises(MinitrackException) as caught:
        client.get_model_version(model_name, 9)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    client.delete_model_version(model_name, 1)
    assert [mv.version for mv in real.search_model_versions(f"name = '{model_name}'")] == ["2"]
    client.delete_registered_model(model_name)
    assert real.search_registered_models(f"name = '{model_name}'") == []


def test_a_model_mlflow_registered_loads_in_minitrack(
    mlflow_server, real, experiment_name, model_name, data
):
    from sklearn.linear_model import Ridge

    X, y = data
    mlflow.set_experiment(experiment_name)
    model = Ridge(alpha=0.1).fit(X, y)
    with mlflow.start_run():
        # MLflow 3.17 writes skops by default, a format minitrack does not read (a kept
        # difference of minitrack.sklearn): ask for cloudpickle.
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=model_name,
            serialization_format="cloudpickle",
        )
    real.set_registered_model_alias(model_name, "prod", "1")

    minitrack.set_tracking_uri(mlflow_server.url)
    expected = model.predict(X[:4])
    for uri in (f"models:/{model_name}@prod", f"models:/{model_name}/1",
                f"models:/{model_name}/latest"):  # fmt: skip
        np.testing.assert_allclose(minitrack.pyfunc.load_model(uri).predict(X[:4]), expected)
    np.testing.assert_allclose(
        minitrack.sklearn.load_model(f"models:/{model_name}@prod").predict(X[:4]), expected
    )
    mv = MlflowClient().get_model_version_by_alias(model_name, "prod")
    assert mv.version == 1 and mv.source.startswith("models:/m-")
    assert mv.aliases == ["prod"]


def test_registry_errors_from_the_server_keep_mlflows_codes(mlflow_server, model_name):
    minitrack.set_tracking_uri(mlflow_server.url)
    client = MlflowClient()
    client.create_registered_model(model_name)
    with pytest.raises(MinitrackException) as caught:
        client.create_registered_model(model_name)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MinitrackException) as caught:
        client.get_registered_model(model_name + "-missing")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MinitrackException) as caught:
        minitrack.pyfunc.load_model(f"models:/{model_name}@nowhere")
    assert model_name in caught.value.message
    renamed = client.rename_registered_model(model_name, model_name + "-v2")
    assert renamed.name == model_name + "-v2"
    client.delete_registered_model(model_name + "-v2")
