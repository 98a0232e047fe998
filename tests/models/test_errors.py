"""Bad input gets a clear error that names the problem and the fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import xgboost as xgb
import yaml
from sklearn.dummy import DummyRegressor

import minitrack
from minitrack.exceptions import MinitrackException


@pytest.fixture(scope="module")
def tiny_model(split):
    X_train, y_train, _, _ = split
    return DummyRegressor().fit(X_train, y_train)


def test_missing_path(tmp_path):
    with pytest.raises(MinitrackException, match="does not exist"):
        minitrack.pyfunc.load_model(tmp_path / "nowhere")


def test_missing_run():
    with pytest.raises(MinitrackException, match="Cannot load model 'runs:/0123abcd/model'"):
        minitrack.sklearn.load_model("runs:/0123abcd/model")


def test_run_without_that_artifact(tiny_model):
    with minitrack.start_run() as run:
        minitrack.sklearn.log_model(tiny_model, name="model")
    with pytest.raises(MinitrackException, match="has no 'elsewhere'"):
        minitrack.pyfunc.load_model(f"runs:/{run.info.run_id}/elsewhere")


def test_incomplete_runs_uri():
    with pytest.raises(MinitrackException, match=r"runs:/<run_id>/<artifact path>"):
        minitrack.pyfunc.load_model("runs:/only-a-run-id")


def test_a_registry_uri_of_an_unknown_model_is_explained():
    with pytest.raises(MinitrackException, match="models:/taxi/1.*name=taxi not found"):
        minitrack.pyfunc.load_model("models:/taxi/1")


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "model.pkl").write_bytes(b"")
    with pytest.raises(MinitrackException, match="not a model folder .*no MLmodel"):
        minitrack.sklearn.load_model(tmp_path / "notes")


def test_model_of_an_unsupported_flavour(tmp_path):
    folder = tmp_path / "torch_model"
    folder.mkdir()
    mlmodel = {
        "flavors": {
            "python_function": {"loader_module": "mlflow.pytorch", "data": "data"},
            "pytorch": {"pytorch_version": "2.3.0"},
        }
    }
    (folder / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    with pytest.raises(MinitrackException, match="loader 'mlflow.pytorch'.*sklearn and xgboost"):
        minitrack.pyfunc.load_model(folder)
    with pytest.raises(MinitrackException, match="no 'sklearn' flavour .*pytorch"):
        minitrack.sklearn.load_model(folder)


def test_loading_with_the_wrong_flavour(tmp_path, tiny_model):
    minitrack.sklearn.save_model(tiny_model, tmp_path / "dummy")
    with pytest.raises(MinitrackException, match="no 'xgboost' flavour .*sklearn"):
        minitrack.xgboost.load_model(tmp_path / "dummy")


def test_saving_over_an_existing_model_keeps_it(tmp_path, tiny_model, split):
    minitrack.sklearn.save_model(tiny_model, tmp_path / "dummy")
    before = (tmp_path / "dummy" / "MLmodel").read_text()
    with pytest.raises(MinitrackException, match="already exists and is not empty"):
        minitrack.sklearn.save_model(tiny_model, tmp_path / "dummy")
    assert (tmp_path / "dummy" / "MLmodel").read_text() == before


def test_xgboost_log_model_rejects_other_models(tiny_model):
    with pytest.raises(MinitrackException, match="use minitrack.sklearn.log_model"):
        minitrack.xgboost.save_model(tiny_model, "unused")


def test_unsupported_serialization_format(tmp_path, tiny_model):
    with pytest.raises(MinitrackException, match="serialization_format 'skops'"):
        minitrack.sklearn.save_model(tiny_model, tmp_path / "m", serialization_format="skops")
    assert not (tmp_path / "m").exists()


def test_failed_save_leaves_no_half_written_folder(tmp_path):
    booster_without_trees = xgb.Booster()  # XGBoost refuses to save it
    with pytest.raises(xgb.core.XGBoostError):
        minitrack.xgboost.save_model(booster_without_trees, tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_autolog_of_a_library_that_is_not_installed(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        sys.modules["xgboost"] = None  # what Python does for a missing package
        sys.modules["sklearn"] = None
        import minitrack
        try:
            minitrack.xgboost.autolog()
        except minitrack.MinitrackException as error:
            print("ERROR:", error)
        minitrack.autolog()  # every *installed* library: here none, and no error
        print("autolog ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "ERROR: minitrack.xgboost.autolog() needs XGBoost, which is not installed" in (
        result.stdout
    )
    assert "pip install xgboost" in result.stdout
    assert "autolog ok" in result.stdout
