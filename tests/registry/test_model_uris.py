"""Every model URI form loads, everywhere a model or artifact URI is accepted, and every
failure says what is missing."""

from __future__ import annotations

import os

import pytest

import minitrack
from minitrack import MinitrackException

from .conftest import X, log_linear_model, predictions


@pytest.fixture
def staged(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 2)
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("taxi", 1, "Production")
    return three_versions


@pytest.mark.parametrize(
    ("uri", "slope"),
    [
        ("models:/taxi/1", 1),
        ("models:/taxi/3", 3),
        ("models:/taxi@champion", 2),
        ("models:/taxi/latest", 3),
        ("models:/taxi/Latest", 3),
        ("models:/taxi/Production", 1),
        ("models:/taxi/production", 1),
    ],
)
def test_pyfunc_loads_every_registry_uri_form(staged, uri, slope):
    assert predictions(uri) == [slope * 1.0, slope * 2.0, slope * 3.0]


def test_sklearn_flavour_and_download_artifacts_take_models_uris(staged, tmp_path):
    estimator = minitrack.sklearn.load_model("models:/taxi@champion")
    assert list(estimator.predict(X)) == pytest.approx([2.0, 4.0, 6.0])
    folder = minitrack.artifacts.download_artifacts("models:/taxi/1", dst_path=str(tmp_path / "dl"))
    assert os.path.isfile(os.path.join(folder, "MLmodel"))
    assert folder.startswith(str(tmp_path / "dl"))


def test_logged_model_uris_load_and_point_at_the_run_folder(client):
    run_id, info = log_linear_model(7.0)
    assert info.model_uri == f"runs:/{run_id}/model"  # today's layout, still loadable
    assert info.model_id.startswith("m-") and len(info.model_id) == 34
    assert predictions(f"models:/{info.model_id}") == [7.0, 14.0, 21.0]
    assert predictions(info.model_uri) == [7.0, 14.0, 21.0]
    logged = client.get_logged_model(info.model_id)
    assert logged.artifact_location == client.artifact_local_path(run_id, "model")
    assert logged.status == "READY" and logged.experiment_id == "0"
    assert minitrack.models.get_model_info(f"models:/{info.model_id}").run_id == run_id
    assert [m.model_id for m in client.search_logged_models(["0"])] == [info.model_id]


def test_xgboost_log_model_registers_too(client):
    xgb = pytest.importorskip("xgboost")
    booster = xgb.XGBRegressor(n_estimators=2).fit(X, X[:, 0])
    with minitrack.start_run():
        info = minitrack.xgboost.log_model(booster, name="model", registered_model_name="xgb")
    assert info.registered_model_version == 1
    loaded = minitrack.xgboost.load_model("models:/xgb/1")
    assert len(loaded.predict(X)) == 3


def test_autolog_registers_the_fitted_model(client):
    from sklearn.linear_model import LinearRegression

    minitrack.sklearn.autolog(registered_model_name="auto", log_post_training_metrics=False)
    try:
        with minitrack.start_run() as run:
            LinearRegression().fit(X, X[:, 0])
    finally:
        minitrack.autolog(disable=True)
    version = client.get_model_version("auto", 1)
    assert version.run_id == run.info.run_id
    assert predictions("models:/auto/1") == [1.0, 2.0, 3.0]


def test_a_version_stays_loadable_when_its_run_is_deleted(client, staged):
    client.delete_run(staged[0])
    assert predictions("models:/taxi/1") == [1.0, 2.0, 3.0]
    assert predictions("models:/taxi/Production") == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("models:/taxi@challenger", "model 'taxi' has no alias 'challenger'; aliases: champion"),
        (
            "models:/taxi/9",
            r"Model Version \(name=taxi, version=9\) not found; .*versions: 1, 2, 3",
        ),
        ("models:/taxi/Staging", "no version in stage 'Staging'; stages: Production .version 1."),
        ("models:/taxi/Testing", "Invalid Model Version stage: Testing"),
        ("models:/nobody/1", "name=nobody not found"),
        ("models:/nobody@champion", "name=nobody not found"),
        ("models:/m-0123456789abcdef0123456789abcdef", "Logged model with ID .* not found"),
        ("models:/", "Invalid model URI 'models:/'"),
        ("models:/taxi/1/extra", "Invalid model URI"),
    ],
)
def test_each_failing_uri_says_what_is_missing(staged, uri, message):
    with pytest.raises(MinitrackException, match=message) as caught:
        minitrack.pyfunc.load_model(uri)
    assert uri in str(caught.value) or uri == "models:/"


def test_a_model_with_no_versions_says_so(client):
    client.create_registered_model("empty")
    with pytest.raises(MinitrackException, match="model 'empty' has no versions yet"):
        minitrack.pyfunc.load_model("models:/empty/latest")
