"""Experiment and run lifecycle as MLflow has it, end to end through the `minitrack` CLI:
delete, restore and rename; `gc` that shows a dry run, needs --yes, frees the disk, leaves
other runs alone and keeps what the registry still uses; and set_experiment's message on a
deleted experiment, whose commands work as printed."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import minitrack
from minitrack.cli import main
from minitrack.entities import LifecycleStage, ViewType

MINITRACK = Path(sys.executable).with_name("minitrack")


def _cli(uri: str, *args: str):
    result = CliRunner().invoke(main, [*args, "--tracking-uri", uri])
    return result


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def store(tracking_uri, client, tmp_path):
    """Two experiments with runs that carry metrics and artifacts (about 20 KB each)."""
    runs = {}
    for name in ("taxi", "scratch"):
        minitrack.set_experiment(name)
        for i in range(2):
            with minitrack.start_run(run_name=f"{name}-{i}") as run:
                minitrack.log_metric("rmse", 7.0 - i)
                minitrack.log_param("alpha", i)
                minitrack.log_text("x" * 20_000, "notes/big.txt")
            runs[f"{name}-{i}"] = run.info.run_id
    return runs


def _artifacts(client, run_id: str) -> Path:
    return Path(client.get_run(run_id).info.artifact_uri)


def test_experiments_delete_restore_rename_by_name_or_id(tracking_uri, client, store):
    taxi = client.get_experiment_by_name("taxi")
    result = _cli(tracking_uri, "experiments", "delete", "taxi")
    assert result.exit_code == 0, result.output
    assert f"Deleted experiment {taxi.experiment_id} 'taxi'" in result.output
    assert client.get_experiment(taxi.experiment_id).lifecycle_stage == LifecycleStage.DELETED
    assert client.get_run(store["taxi-0"]).info.lifecycle_stage == LifecycleStage.DELETED
    listed = _cli(tracking_uri, "experiments").output
    assert "taxi" not in listed and "scratch" in listed
    assert "deleted" in _cli(tracking_uri, "experiments", "--all").output

    assert _cli(tracking_uri, "experiments", "restore", taxi.experiment_id).exit_code == 0
    assert client.get_experiment(taxi.experiment_id).lifecycle_stage == LifecycleStage.ACTIVE
    assert client.get_run(store["taxi-0"]).info.lifecycle_stage == LifecycleStage.ACTIVE

    result = _cli(tracking_uri, "experiments", "rename", "taxi", "nyc-taxi")
    assert result.exit_code == 0, result.output
    assert client.get_experiment(taxi.experiment_id).name == "nyc-taxi"

    unknown = _cli(tracking_uri, "experiments", "delete", "nope")
    assert unknown.exit_code == 1
    assert "No experiment named 'nope'" in unknown.output and "nyc-taxi" in unknown.output
    again = _cli(tracking_uri, "experiments", "restore", "nyc-taxi")
    assert again.exit_code == 1 and "already active" in again.output


def test_runs_delete_restore_and_a_typo_changes_nothing(tracking_uri, client, store):
    first, second = store["taxi-0"], store["taxi-1"]
    result = _cli(tracking_uri, "runs", "delete", first, "0" * 32)
    assert result.exit_code == 1 and "not found" in result.output
    assert client.get_run(first).info.lifecycle_stage == LifecycleStage.ACTIVE
    result = _cli(tracking_uri, "runs", "delete", first, second)
    assert result.exit_code == 0, result.output
    assert f"Deleted run {first}." in result.output
    taxi = client.get_experiment_by_name("taxi").experiment_id
    assert client.search_runs([taxi]) == []
    assert _cli(tracking_uri, "runs", "restore", second).exit_code == 0
    assert [r.info.run_id for r in client.search_runs([taxi])] == [second]
    # the listing still works as before, beside the new verbs
    assert "taxi-1" in _cli(tracking_uri, "runs", "-e", "taxi").output


def test_gc_dry_run_then_yes_frees_the_disk_and_leaves_other_runs(
    tracking_uri, client, store, tmp_path
):
    kept_run = store["taxi-1"]
    kept_files = _artifacts(client, kept_run)
    before_kept = _du(kept_files)
    gone_run = store["taxi-0"]
    gone_files = _artifacts(client, gone_run)
    scratch = client.get_experiment_by_name("scratch")
    scratch_folder = Path(scratch.artifact_location)
    client.delete_run(gone_run)
    client.delete_experiment(scratch.experiment_id)
    mlruns = tmp_path / "mlruns"
    total_before = _du(mlruns)

    dry = _cli(tracking_uri, "gc")
    assert dry.exit_code == 0, dry.output
    assert "Would delete for good: 3 runs and 1 experiment" in dry.output
    assert f"run {gone_run}" in dry.output and "experiment " in dry.output
    assert "Dry run: nothing was deleted" in dry.output
    assert _du(mlruns) == total_before  # nothing moved
    assert client.get_run(gone_run).info.lifecycle_stage == LifecycleStage.DELETED

    done = _cli(tracking_uri, "gc", "--yes")
    assert done.exit_code == 0, done.output
    assert "Done: freed" in done.output
    assert not gone_files.exists() and not gone_files.parent.exists()
    assert not scratch_folder.exists()
    assert _du(mlruns) == before_kept  # only the untouched run's files are left
    with pytest.raises(minitrack.MlflowException, match="not found"):
        client.get_run(gone_run)
    with pytest.raises(minitrack.MlflowException, match="No Experiment"):
        client.get_experiment(scratch.experiment_id)
    # the other run is whole: its metrics, params and artifacts
    other = client.get_run(kept_run)
    assert other.data.metrics == {"rmse": 6.0} and other.data.params == {"alpha": "1"}
    assert _du(kept_files) == before_kept
    assert [m.value for m in client.get_metric_history(kept_run, "rmse")] == [6.0]
    # the name is free again: a new, empty experiment
    fresh = minitrack.set_experiment("scratch")
    assert fresh.lifecycle_stage == LifecycleStage.ACTIVE
    assert client.search_runs([fresh.experiment_id], run_view_type=ViewType.ALL) == []
    assert "Nothing to delete" in _cli(tracking_uri, "gc").output


def test_gc_filters_by_age_and_experiment(tracking_uri, client, store):
    client.delete_run(store["taxi-0"])
    client.delete_run(store["scratch-0"])
    young = _cli(tracking_uri, "gc", "--older-than", "30d", "--yes")
    assert young.exit_code == 0
    assert "Nothing to delete: no deleted runs or experiments (deleted more than 30d ago)" in (
        young.output
    )
    assert client.get_run(store["taxi-0"]).info.lifecycle_stage == LifecycleStage.DELETED
    taxi = client.get_experiment_by_name("taxi").experiment_id
    only = _cli(tracking_uri, "gc", "--experiment-ids", taxi, "--yes")
    assert only.exit_code == 0, only.output
    assert "1 run and 0 experiments" in only.output
    assert client.deleted_runs() and [r.run_id for r in client.deleted_runs()] == [
        store["scratch-0"]
    ]
    bad = _cli(tracking_uri, "gc", "--older-than", "a month")
    assert bad.exit_code == 1 and "'30d', '12h' or '2d8h5m20s'" in bad.output


def test_gc_keeps_what_a_model_version_names_and_says_so(tracking_uri, client, store):
    run_id = store["taxi-0"]
    client.create_registered_model("nyc-taxi-regressor")
    client.create_model_version("nyc-taxi-regressor", f"runs:/{run_id}/notes", run_id=run_id)
    files = _artifacts(client, run_id)
    client.delete_run(run_id)
    client.delete_run(store["taxi-1"])
    result = _cli(tracking_uri, "gc", "--yes")
    assert result.exit_code == 0, result.output
    assert (
        f"keeping run {run_id}: nyc-taxi-regressor version 1 names it as its source "
        "(delete that version to free it)"
    ) in result.output
    assert files.is_dir() and _du(files) > 0
    assert client.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(minitrack.MlflowException):
        client.get_run(store["taxi-1"])
    # a deleted experiment holding that run is kept as well
    taxi = client.get_experiment_by_name("taxi").experiment_id
    client.delete_experiment(taxi)
    again = _cli(tracking_uri, "gc", "--yes").output
    assert f"keeping experiment {taxi}: a run in it is kept" in again
    # once the version goes, gc frees it
    client.delete_model_version("nyc-taxi-regressor", 1)
    final = _cli(tracking_uri, "gc", "--yes")
    assert final.exit_code == 0 and not files.exists()


def test_gc_never_deletes_outside_the_run_folder(tracking_uri, client, store, tmp_path):
    run_id = store["taxi-0"]
    files = _artifacts(client, run_id)
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "thesis.txt").write_text("do not lose")
    client.delete_run(run_id)
    import shutil

    shutil.rmtree(files)
    files.symlink_to(outside, target_is_directory=True)  # the run folder now leads outside
    result = _cli(tracking_uri, "gc", "--yes")
    assert result.exit_code == 0, result.output
    assert "its artifacts are left where they are" in result.output
    assert (outside / "thesis.txt").read_text() == "do not lose"


def test_purge_refuses_active_runs_and_experiments(client, store):
    with pytest.raises(minitrack.MlflowException, match="it is active") as err:
        client.purge_run(store["taxi-0"])
    assert err.value.error_code == "INVALID_STATE"
    taxi = client.get_experiment_by_name("taxi").experiment_id
    with pytest.raises(minitrack.MlflowException, match="it is active"):
        client.purge_experiment(taxi)
    assert client.get_run(store["taxi-0"]).info.lifecycle_stage == LifecycleStage.ACTIVE


def _commands(message: str) -> list[str]:
    return [part for i, part in enumerate(message.split("`")) if i % 2 == 1]


def test_set_experiment_on_a_deleted_experiment_names_the_commands_that_fix_it(
    tracking_uri, client, store, tmp_path
):
    exp_id = client.get_experiment_by_name("taxi").experiment_id
    client.delete_experiment(exp_id)
    with pytest.raises(minitrack.MlflowException) as err:
        minitrack.set_experiment("taxi")
    message = str(err.value)
    # MLflow's words first, so a search for the error finds the course FAQ
    assert message.startswith(
        "Cannot set a deleted experiment 'taxi' as the active experiment. You can restore the "
        "experiment, or permanently delete the experiment to create a new one"
    )
    restore, gc = _commands(message)
    assert restore.startswith(
        f"minitrack experiments restore taxi --tracking-uri sqlite:///{tmp_path}"
    )
    elsewhere = tmp_path / "another-folder"
    elsewhere.mkdir()
    env = {**os.environ, "PATH": f"{MINITRACK.parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        shlex.split(restore), cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert minitrack.set_experiment("taxi").experiment_id == exp_id
    # the other way out: gc, as printed, then --yes; the name is free again
    client.delete_experiment(exp_id)
    shown = subprocess.run(shlex.split(gc), cwd=elsewhere, env=env, capture_output=True, text=True)
    assert shown.returncode == 0 and "Would delete for good" in shown.stdout
    subprocess.run(
        [*shlex.split(gc), "--yes"], cwd=elsewhere, env=env, check=True, capture_output=True
    )
    fresh = minitrack.set_experiment("taxi")
    assert client.search_runs([fresh.experiment_id], run_view_type=ViewType.ALL) == []
    assert client.search_experiments(ViewType.DELETED_ONLY) == []
