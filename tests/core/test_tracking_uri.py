"""Tracking URIs: where the SQLite file ends up for each spelling a user may write."""

from __future__ import annotations

import os

import pytest

import minitrack as mlflow
from minitrack.uris import db_path_from_uri, parse_runs_uri


def test_default_is_mlflow_db_in_the_working_directory(tmp_path):
    assert mlflow.get_tracking_uri() == "sqlite:///mlflow.db"
    assert not mlflow.is_tracking_uri_set()
    with mlflow.start_run():
        mlflow.log_metric("m", 1)
    assert (tmp_path / "mlflow.db").is_file()


def test_environment_variable_is_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from_env.db")
    assert mlflow.get_tracking_uri() == "sqlite:///from_env.db"
    assert mlflow.is_tracking_uri_set()
    mlflow.set_experiment("env")
    assert (tmp_path / "from_env.db").is_file()


def test_set_tracking_uri_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from_env.db")
    mlflow.set_tracking_uri("sqlite:///explicit.db")
    mlflow.set_experiment("x")
    assert (tmp_path / "explicit.db").is_file()
    assert not (tmp_path / "from_env.db").exists()


def test_relative_uri_resolves_against_the_working_directory(tmp_path):
    (tmp_path / "sub").mkdir()
    assert db_path_from_uri("sqlite:///sub/a.db") == str(tmp_path / "sub" / "a.db")


def test_four_slashes_mean_an_absolute_path(tmp_path):
    target = tmp_path / "abs.db"
    assert db_path_from_uri(f"sqlite:///{target}") == str(target)  # '/tmp/..' gives 4 slashes
    assert db_path_from_uri("sqlite:////data/x.db") == "/data/x.db"


def test_a_pathlib_path_and_a_plain_db_path_are_accepted(tmp_path):
    mlflow.set_tracking_uri(tmp_path / "plain.db")
    mlflow.set_experiment("p")
    assert (tmp_path / "plain.db").is_file()
    assert db_path_from_uri("file:///srv/runs.db") == "/srv/runs.db"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:///C:/Users/ana/mlflow.db", "C:\\Users\\ana\\mlflow.db"),
        ("sqlite:///C:\\Users\\ana\\mlflow.db", "C:\\Users\\ana\\mlflow.db"),
        ("C:\\course\\mlflow.db", "C:\\course\\mlflow.db"),
        ("file:///D:/course/mlflow.db", "D:\\course\\mlflow.db"),
    ],
)
def test_windows_paths_are_understood_on_any_platform(uri, expected):
    assert db_path_from_uri(uri) == expected


def test_driver_options_are_ignored_and_memory_is_supported():
    assert db_path_from_uri("sqlite:///x.db?timeout=20").endswith(os.sep + "x.db")
    assert db_path_from_uri("sqlite://") == ":memory:"
    assert db_path_from_uri("sqlite:///:memory:") == ":memory:"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("postgresql://localhost/db", "minitrack stores runs in a SQLite file"),
        ("sqlite:/x.db", "three slashes"),
        ("sqlite://host/x.db", "SQLite URIs have no host"),
        ("", "Invalid tracking URI"),
    ],
)
def test_unsupported_uris_are_rejected_with_the_fix(uri, message):
    with pytest.raises(mlflow.MinitrackException, match=message):
        mlflow.set_tracking_uri(uri)


def test_a_folder_is_not_a_tracking_uri(tmp_path):
    (tmp_path / "mlruns").mkdir()
    with pytest.raises(mlflow.MinitrackException, match="names a folder"):
        mlflow.set_tracking_uri(str(tmp_path / "mlruns"))


def test_runs_uris_split_into_run_id_and_path():
    assert parse_runs_uri("runs:/abc123/model") == ("abc123", "model")
    assert parse_runs_uri("runs:/abc123/a/b.txt") == ("abc123", "a/b.txt")
    assert parse_runs_uri("runs:/abc123") == ("abc123", "")
    with pytest.raises(mlflow.MinitrackException, match="names no run"):
        parse_runs_uri("runs:/")
    with pytest.raises(mlflow.MinitrackException, match="Not a runs URI"):
        parse_runs_uri("s3://bucket/model")
