"""``course check-code`` on a corpus written like the course's notebooks and homework scripts:
the findings with their locations, the exit codes, --json, --diff, --fix, and a fixed
script that runs on today's libraries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from course.cli import main

CORPUS = Path(__file__).parent / "check_code_corpus"

# Every removed or deprecated call in the old corpus: (location, rule).
EXPECTED_OLD = [
    ("model-registry.ipynb#cell-2:4", "mlflow-list-experiments"),
    ("model-registry.ipynb#cell-5:1", "mlflow-get-latest-versions"),
    ("model-registry.ipynb#cell-5:4", "mlflow-transition-stage"),
    ("model-registry.ipynb#cell-6:2", "mlflow-stage-uri"),
    ("model-registry.ipynb#cell-6:4", "mlflow-list-registered-models"),
    ("train.py:32", "sklearn-get-feature-names"),
    ("train.py:37", "sklearn-mse-squared"),
    ("train.py:39", "mlflow-log-model-artifact-path"),
    ("train.py:41", "xgboost-reg-linear"),
    ("train.py:44", "sklearn-mse-squared"),
    ("train.py:48", "mlflow-list-experiments"),
]


@pytest.fixture
def old(tmp_path, monkeypatch):
    folder = tmp_path / "old"
    shutil.copytree(CORPUS / "old", folder)
    monkeypatch.chdir(folder)
    return folder


def _run(*args, input=None):
    return CliRunner().invoke(main, ["check-code", *args], input=input)


def test_old_corpus_findings_locations_and_exit_1(old):
    result = _run(".", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert [(f["location"], f["rule"]) for f in report["findings"]] == EXPECTED_OLD
    assert report["errors"] == 6 and report["warnings"] == 5
    assert report["files"] == ["model-registry.ipynb", "train.py"]


def test_text_report_groups_errors_and_warnings(old):
    result = _run(".")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    errors, warnings = lines.index("Errors (will not run):"), lines.index("Warnings (deprecated):")
    assert errors < warnings
    assert (
        "  model-registry.ipynb#cell-2:4 client.list_experiments() was removed in MLflow 2.0: "
        "use client.search_experiments()"
    ) in lines[errors:warnings]
    assert any(
        line.startswith("  model-registry.ipynb#cell-5:4 client.transition_model_version_stage()")
        for line in lines[warnings:]
    )
    assert "6 errors, 5 warnings in 2 files." in lines[-1]


def test_clean_corpus_exits_0(monkeypatch):
    monkeypatch.chdir(CORPUS / "clean")
    result = _run(".")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No removed or deprecated calls found in 2 files."


def test_warnings_alone_exit_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("promote.py").write_text('client.transition_model_version_stage("m", 1, "Staging")\n')
    result = _run("promote.py")
    assert result.exit_code == 0
    assert "Warnings (deprecated):" in result.output and "Errors" not in result.output


def test_diff_shows_the_rewrite_and_changes_nothing(old):
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    result = _run("train.py", "--diff")
    assert result.exit_code == 1
    assert "--- a/train.py" in result.output
    assert "-        rmse = mean_squared_error(y, lr.predict(X), squared=False)" in result.output
    assert "+        rmse = root_mean_squared_error(y, lr.predict(X))" in result.output
    notebook = _run("model-registry.ipynb", "--diff").output
    assert "--- a/model-registry.ipynb#cell-2" in notebook
    assert "+client.search_experiments()" in notebook
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before


def test_fix_asks_first_and_a_no_changes_nothing(old):
    before = (old / "train.py").read_text()
    result = _run(".", "--fix", input="n\n")
    assert "Apply these changes?" in result.output
    assert "Nothing changed." in result.output
    assert result.exit_code == 1
    assert (old / "train.py").read_text() == before


def test_fix_yes_rewrites_scripts_and_notebooks_leaving_the_judgement_calls(old):
    result = _run(".", "--fix", "--yes")
    assert result.exit_code == 0, result.output  # only warnings are left
    assert "rewrote train.py" in result.output and "rewrote model-registry.ipynb" in result.output
    left = json.loads(_run(".", "--json").output)
    assert [(f["location"], f["rule"]) for f in left["findings"]] == [
        ("model-registry.ipynb#cell-5:1", "mlflow-get-latest-versions"),
        ("model-registry.ipynb#cell-5:4", "mlflow-transition-stage"),
        ("model-registry.ipynb#cell-6:2", "mlflow-stage-uri"),
    ]
    notebook = nbformat.read(old / "model-registry.ipynb", as_version=4)
    assert notebook.cells[1].source.endswith("client.search_experiments()")
    assert notebook.cells[1].source.startswith("%load_ext autoreload")  # magics kept
    assert notebook.cells[5].source.splitlines()[-1] == "client.search_registered_models()"
    assert notebook.metadata.kernelspec.name == "exp-tracking"
    assert len(notebook.cells) == 7


def test_magics_do_not_break_the_parse_and_bad_cells_are_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%%bash\nmlflow ui  # client.list_experiments()"),
            nbformat.v4.new_code_cell(
                "import os\nfor f in os.listdir():\n    !echo {f}\n    x.list_experiments()"
            ),
            nbformat.v4.new_code_cell(
                "pd.read_parquet?\nout = !ls\n%time client.list_run_infos('1')"
            ),
            nbformat.v4.new_code_cell("def broken(:\n    pass"),
        ]
    )
    nbformat.write(notebook, "magic.ipynb")
    report = json.loads(_run("magic.ipynb", "--json").output)
    assert [(f["location"], f["rule"]) for f in report["findings"]] == [
        ("magic.ipynb#cell-2:4", "mlflow-list-experiments"),
        ("magic.ipynb#cell-4:1", "syntax-error"),
    ]


def test_the_console_script_exits_1_on_errors(old):
    course = Path(sys.executable).with_name("course")
    result = subprocess.run([str(course), "check-code", "train.py"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "train.py:48 client.list_experiments() was removed in MLflow 2.0" in result.stdout


@pytest.mark.slow
@pytest.mark.mlflow
def test_the_fixed_script_runs_on_todays_libraries(old):
    """The old script fails on today's MLflow/scikit-learn/XGBoost; after --fix it runs."""
    command = [sys.executable, "train.py", "--tracking_uri", f"sqlite:///{old / 'before.db'}"]
    before = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert before.returncode != 0
    assert "get_feature_names" in before.stderr
    assert _run("train.py", "--fix", "--yes").exit_code == 0
    command[-1] = f"sqlite:///{old / 'after.db'}"
    after = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert after.returncode == 0, after.stderr[-3000:]
    assert "experiment: nyc-taxi-experiment" in after.stdout
    assert after.stdout.rstrip().endswith("OK")


def test_the_kits_own_lessons_are_clean():
    lessons = Path(__file__).resolve().parents[2] / "lessons"
    result = _run(str(lessons))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("No removed or deprecated calls found")


def test_fix_keeps_crlf_line_endings_and_drops_no_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("win.py").write_bytes(
        b"\xef\xbb\xbfimport mlflow\r\nfor e in mlflow.list_experiments():\r\n    print(e)\r\n"
    )
    result = _run("win.py", "--fix", "--yes")
    assert result.exit_code == 0, result.output
    assert Path("win.py").read_bytes() == (
        b"import mlflow\r\nfor e in mlflow.search_experiments():\r\n    print(e)\r\n"
    )
