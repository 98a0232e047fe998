"""`import minitrack` stays light; heavy parts load when first used."""

from __future__ import annotations

import json
import subprocess
import sys

import minitrack
from minitrack import entities, exceptions, tracking

HEAVY = [
    "pandas",
    "numpy",
    "sklearn",
    "xgboost",
    "yaml",
    "starlette",
    "uvicorn",
    "click",
    "IPython",
    "requests",
    "urllib3",
]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(list(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_minitrack_loads_no_heavy_library():
    loaded = _modules_after("import minitrack")
    assert not loaded & set(HEAVY)


def test_logging_a_run_loads_no_heavy_library_either(tmp_path):
    loaded = _modules_after(
        "import minitrack as mlflow\n"
        f"mlflow.set_tracking_uri('sqlite:///{tmp_path}/x.db')\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_param('a', 1); mlflow.log_metric('m', 1.0); mlflow.set_tag('t', 'v')\n"
        "mlflow.search_runs(output_format='list', filter_string='metrics.m > 0')\n"
    )
    assert not loaded & set(HEAVY)


# Only a tracking server's URI needs these; a student on a local file never pays for them.
SERVER_ONLY = [
    "minitrack.store.http",
    "minitrack.store.rest",
    "minitrack.artifacts.http",
    "uuid",  # run ids come from os.urandom: uuid imports platform (3 ms)
]


def test_a_local_file_never_loads_the_server_client(tmp_path):
    loaded = _modules_after(
        "import minitrack as mlflow\n"
        f"mlflow.set_tracking_uri('sqlite:///{tmp_path}/x.db')\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_param('a', 1); mlflow.log_metric('m', 1.0)\n"
    )
    assert "minitrack.store.sqlite" in loaded
    assert sorted(loaded & set(SERVER_ONLY)) == []


def test_mlflow_names_are_where_students_look():
    assert minitrack.MlflowException is minitrack.MinitrackException
    assert exceptions.MlflowException is minitrack.MinitrackException
    assert tracking.MlflowClient is minitrack.MlflowClient
    for name in [
        "Experiment",
        "Run",
        "RunInfo",
        "RunData",
        "Metric",
        "Param",
        "RunTag",
        "ViewType",
        "RunStatus",
    ]:
        assert hasattr(entities, name), name
    for name in minitrack.__all__:
        if name != "autolog":
            assert getattr(minitrack, name) is not None, name


def test_flavours_and_autolog_load_on_first_use():
    loaded = _modules_after(
        "import minitrack\n"
        "assert callable(minitrack.autolog)\n"
        "assert minitrack.sklearn.__name__ == 'minitrack.sklearn'\n"
        "assert minitrack.pyfunc.__name__ == 'minitrack.pyfunc'\n"
        "assert hasattr(minitrack.models, '__path__') or minitrack.models\n"
    )
    assert "minitrack.sklearn" in loaded
