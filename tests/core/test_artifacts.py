"""Artifacts: where they land, how to list and fetch them, and that nothing escapes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

import minitrack as mlflow
from minitrack import artifacts


def test_artifacts_live_under_root_experiment_run_artifacts(tmp_path, tracking_uri):
    exp = mlflow.set_experiment("art")
    (tmp_path / "model.txt").write_text("weights")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "model.txt"))
        mlflow.log_artifact(tmp_path / "model.txt", artifact_path="backup/v1")
        uri = mlflow.get_artifact_uri()
        assert mlflow.get_artifact_uri("plots/a.png") == uri + "/plots/a.png"
    expected = tmp_path / "mlruns" / exp.experiment_id / run.info.run_id / "artifacts"
    assert uri == run.info.artifact_uri == str(expected)
    assert (expected / "model.txt").read_text() == "weights"
    assert (expected / "backup" / "v1" / "model.txt").read_text() == "weights"


def test_log_artifacts_copies_a_folder_tree(tmp_path, client, tracking_uri):
    src = tmp_path / "report"
    (src / "img").mkdir(parents=True)
    (src / "index.html").write_text("<h1>hi</h1>")
    (src / "img" / "a.png").write_bytes(b"\x89PNG")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src), artifact_path="report")
    listing = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listing] == [("report", True)]
    inner = client.list_artifacts(run.info.run_id, "report")
    assert [(f.path, f.is_dir, f.file_size) for f in inner] == [
        ("report/img", True, None),
        ("report/index.html", False, 11),
    ]


def test_log_text_dict_and_read_back(client, tracking_uri):
    with mlflow.start_run() as run:
        mlflow.log_text("line 1\n", "notes/readme.md")
        mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.yaml")
    rid = run.info.run_id
    assert artifacts.load_text(f"runs:/{rid}/notes/readme.md") == "line 1\n"
    assert artifacts.load_dict(f"runs:/{rid}/config.json") == {"a": 1, "b": [1, 2]}
    folder = artifacts.local_path(f"runs:/{rid}")
    assert json.loads(Path(folder, "config.json").read_text()) == {"a": 1, "b": [1, 2]}
    assert yaml.safe_load(Path(folder, "config.yaml").read_text()) == {"a": 1, "b": [1, 2]}


def test_log_figure_matplotlib_and_plotly(client, tracking_uri):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly.graph_objects as go

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    with mlflow.start_run() as run:
        mlflow.log_figure(fig, "plots/line.png")
        mlflow.log_figure(go.Figure(go.Scatter(y=[1, 3, 2])), "plots/scatter.html")
    plt.close(fig)
    folder = artifacts.local_path(f"runs:/{run.info.run_id}/plots")
    with open(os.path.join(folder, "line.png"), "rb") as f:
        assert f.read(4) == b"\x89PNG"
    assert "plotly" in Path(folder, "scatter.html").read_text()
    with pytest.raises(mlflow.MlflowException, match="matplotlib or plotly figure"):
        mlflow.log_figure("not a figure", "x.png", run_id=run.info.run_id)


def test_download_artifacts_copies_files_and_folders(tmp_path, client, tracking_uri):
    with mlflow.start_run() as run:
        mlflow.log_text("a", "dir/a.txt")
        mlflow.log_text("b", "dir/sub/b.txt")
    rid = run.info.run_id
    dst = tmp_path / "out"
    path = client.download_artifacts(rid, "dir", str(dst))
    assert Path(path, "sub", "b.txt").read_text() == "b"
    single = artifacts.download_artifacts(f"runs:/{rid}/dir/a.txt", dst_path=str(tmp_path / "o2"))
    assert Path(single).read_text() == "a"
    by_id = artifacts.download_artifacts(run_id=rid, artifact_path="dir/sub")
    assert os.listdir(by_id) == ["b.txt"]
    with pytest.raises(mlflow.MlflowException, match="No artifact at 'nope'"):
        client.download_artifacts(rid, "nope")


@pytest.mark.parametrize(
    "bad_path",
    [
        "../escape.txt",
        "a/../../escape.txt",
        "/etc/passwd",
        # A drive is absolute on Windows only; elsewhere it is a plain name, as in MLflow.
        pytest.param(
            "C:\\Windows\\x.txt",
            marks=pytest.mark.skipif(os.name != "nt", reason="a drive only on Windows"),
        ),
    ],
)
def test_paths_that_leave_the_run_are_refused(tmp_path, client, tracking_uri, bad_path):
    with mlflow.start_run() as run:
        with pytest.raises(mlflow.MlflowException, match="artifact"):
            mlflow.log_text("x", bad_path)
        with pytest.raises(mlflow.MlflowException):
            client.list_artifacts(run.info.run_id, bad_path)
        with pytest.raises(mlflow.MlflowException):
            client.download_artifacts(run.info.run_id, bad_path, str(tmp_path / "dl"))
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "mlruns" / "escape.txt").exists()


def test_symlinks_out_of_the_run_are_not_followed(tmp_path, client, tracking_uri):
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.txt").write_text("do not read")
    with mlflow.start_run() as run:
        mlflow.log_text("fine", "ok.txt")
    root = artifacts.local_path(f"runs:/{run.info.run_id}")
    os.symlink(outside, os.path.join(root, "link"))
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["ok.txt"]
    with pytest.raises(mlflow.MlflowException, match="symlink"):
        client.download_artifacts(run.info.run_id, "link/key.txt", str(tmp_path / "dl"))
    with pytest.raises(mlflow.MlflowException, match="symlink"):
        client.log_text(run.info.run_id, "overwrite", "link/key.txt")
    assert (outside / "key.txt").read_text() == "do not read"


def test_missing_local_files_give_clear_errors(tmp_path, tracking_uri):
    with mlflow.start_run():
        with pytest.raises(mlflow.MlflowException, match="no such file"):
            mlflow.log_artifact(str(tmp_path / "missing.txt"))
        with pytest.raises(mlflow.MlflowException, match="it is a folder"):
            mlflow.log_artifact(str(tmp_path))
        with pytest.raises(mlflow.MlflowException, match="no such folder"):
            mlflow.log_artifacts(str(tmp_path / "missing"))


def test_runs_uri_to_a_local_path_for_model_loading(client, tracking_uri):
    with mlflow.start_run() as run:
        mlflow.log_text("m", "model/MLmodel")
    path = artifacts.local_path(f"runs:/{run.info.run_id}/model")
    assert os.path.isdir(path) and os.listdir(path) == ["MLmodel"]
    assert artifacts.run_artifact_dir(run.info.run_id) == run.info.artifact_uri
    with pytest.raises(mlflow.MlflowException, match="has no 'other'"):
        artifacts.local_path(f"runs:/{run.info.run_id}/other")


def test_non_local_artifact_locations_are_refused(tracking_uri):
    with pytest.raises(mlflow.MlflowException, match="keeps artifacts on the local disk"):
        mlflow.create_experiment("s3", artifact_location="s3://bucket/path")


@pytest.mark.parametrize("path", ["\ud800", "plots/\udfff.png"])
def test_a_lone_surrogate_in_a_path_is_refused_by_every_artifact_call(client, tmp_path, path):
    # Found by the hypothesis run at 5,000 examples: it reached the file system and raised
    # UnicodeEncodeError. Text with a lone surrogate names no file anywhere.
    run_id = client.create_run("0").info.run_id
    client.log_text(run_id, "kept", "notes.txt")
    calls = [
        lambda: client.list_artifacts(run_id, path),
        lambda: client.log_text(run_id, "x", path),
        lambda: client.download_artifacts(run_id, path, str(tmp_path)),
    ]
    for call in calls:
        with pytest.raises(mlflow.MinitrackException, match="not a character a file name"):
            call()
    assert [f.path for f in client.list_artifacts(run_id)] == ["notes.txt"]
