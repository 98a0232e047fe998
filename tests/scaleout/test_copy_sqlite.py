"""minitrack copy between two SQLite stores: what the copy holds is what the source holds,
a second copy adds nothing, an interrupted one finishes, and the registry keeps its meaning.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
from click.testing import CliRunner

import minitrack
from minitrack.cli import main
from minitrack.copy import COPIED_FROM, COPY_STATE, copy_store
from minitrack.copy.runs import batches
from minitrack.entities import Metric, Param, RunTag, ViewType

from .conftest import content, fill_store

X = np.array([[1.0], [2.0], [3.0]])


def new_target(tmp_path, name: str = "target"):
    """A client of a new store in its own folder, so its artifacts are apart from the
    source's (a SQLite store keeps them in ./mlruns of the folder it was opened in)."""
    folder = tmp_path / name
    folder.mkdir()
    here = os.getcwd()
    os.chdir(folder)
    try:
        return minitrack.MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    finally:
        os.chdir(here)


def _run_count(client) -> int:
    exps = client.search_experiments(view_type=ViewType.ALL, max_results=None)
    return len(client.search_all_runs([e.experiment_id for e in exps], run_view_type=ViewType.ALL))


def test_a_copy_holds_what_the_source_holds(filled, tmp_path):
    source_uri, made = filled
    source = minitrack.MlflowClient(source_uri)
    target = new_target(tmp_path)

    report = copy_store(source, target)

    assert report.failed == {}
    assert content(target) == content(source)
    assert len(report.created) == _run_count(source) == _run_count(target)
    # each copy names its origin
    sid = source.get_store_id()
    for src_id, dst_id in report.runs.items():
        assert target.get_run(dst_id).data.tags[COPIED_FROM] == f"{sid}/{src_id}"
    # the model the alias names predicts on the target, from the target's own files
    minitrack.set_tracking_uri(source_uri)
    expected = minitrack.pyfunc.load_model(f"models:/{made['model']}@champion").predict(X)
    shutil.rmtree(tmp_path / "mlruns")
    minitrack.set_tracking_uri(target.tracking_uri)
    got = minitrack.pyfunc.load_model(f"models:/{made['model']}@champion").predict(X)
    assert np.allclose(got, expected) and np.allclose(got, [3.0, 6.0, 9.0])


def test_a_second_copy_adds_nothing(filled, tmp_path):
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)
    first = copy_store(source, target)
    before = content(target)

    second = copy_store(source, target)

    assert second.created == [] and second.failed == {}
    assert second.versions_created == 0 and second.models_created == 0
    assert second.bytes_copied == 0
    # finished runs are skipped; the two still RUNNING are looked at again
    running = [r for r, d in first.runs.items() if source.get_run(r).info.status == "RUNNING"]
    assert sorted(second.updated) == sorted(running) and len(running) == 2
    assert second.runs == first.runs
    assert content(target) == before
    assert _run_count(target) == _run_count(source)


def test_a_run_still_running_is_brought_up_to_date(filled, tmp_path):
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)
    copy_store(source, target)
    running = source.search_runs(["1"], "attributes.status = 'RUNNING'")[0]
    rid = running.info.run_id
    source.log_batch(rid, [Metric("rmse", 0.25, running.info.start_time + 5000, 30)],
                     [Param("late", "1")], [RunTag("phase", "done")])  # fmt: skip
    source.log_text(rid, "late file", "late/notes.txt")
    source.set_terminated(rid, "FINISHED", running.info.start_time + 6000)

    report = copy_store(source, target)

    assert report.updated == [rid] or rid in report.updated
    assert content(target) == content(source)
    copy = target.get_run(report.runs[rid])
    assert copy.info.status == "FINISHED"
    assert copy.data.tags[COPY_STATE] == "FINISHED"
    assert len(target.get_metric_history(copy.info.run_id, "rmse")) == 32
    # now finished: the next copy skips it
    assert rid in copy_store(source, target).skipped


def test_a_copy_stopped_midway_is_finished_without_duplicates(filled, tmp_path):
    # What an interruption leaves: the run exists on the target with its copied_from tag
    # (it is set by the call that creates it), some of its metrics, and no copy_state.
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)
    src = source.search_runs(["1"], "attributes.status = 'FINISHED' and params.p0 = '0'")[0]
    exp = target.create_experiment("exp-0")
    half = target.create_run(exp, start_time=src.info.start_time, run_name=src.info.run_name,
                             tags={COPIED_FROM: f"{source.get_store_id()}/{src.info.run_id}",
                                   "mlflow.user": src.info.user_id})  # fmt: skip
    history = source.get_metric_history(src.info.run_id, "rmse")
    target.log_batch(half.info.run_id, history[:11], [Param("p0", src.data.params["p0"])])
    target.log_text(half.info.run_id, "report of", "reports/summary.txt")  # a partial file

    report = copy_store(source, target)

    assert report.failed == {}
    assert report.runs[src.info.run_id] == half.info.run_id
    assert src.info.run_id in report.updated
    assert content(target) == content(source)
    assert _run_count(target) == _run_count(source)


def test_killing_a_copy_and_running_it_again_copies_each_run_once(tmp_path):
    source_uri = f"sqlite:///{tmp_path / 'source.db'}"
    fill_store(source_uri, runs=60, experiments=1)
    (tmp_path / "t").mkdir()
    target_db = tmp_path / "t" / "target.db"
    command = [sys.executable, "-c", "from minitrack.cli import main; main()", "copy",
               "--from", source_uri, "--to", f"sqlite:///{target_db}", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, cwd=tmp_path / "t")
    copied = 0
    deadline = time.monotonic() + 60
    while copied < 10 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        copied = _copies_on_disk(target_db)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 10 <= copied < 63, "the copy should have been killed midway"

    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path / "t")

    assert done.returncode == 0, done.stderr
    source, target = (
        minitrack.MlflowClient(source_uri),
        minitrack.MlflowClient(f"sqlite:///{target_db}"),
    )
    assert content(target) == content(source)
    assert _run_count(target) == _run_count(source) == 63
    marks = [r.data.tags[COPIED_FROM] for r in target.search_all_runs(["1"])]
    assert len(marks) == len(set(marks))


def _copies_on_disk(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute(
                "SELECT count(*) FROM tags WHERE key = ?", (COPIED_FROM,)
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


def test_versions_are_renumbered_and_aliases_stages_tags_follow(filled, tmp_path):
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)
    name = filled[1]["model"]

    report = copy_store(source, target)

    assert report.versions[name] == {1: 1, 3: 2}
    assert report.renumbered() == {name: {3: 2}}
    champion = target.get_model_version_by_alias(name, "champion")
    assert champion.version == 2
    assert champion.description == "the best one"
    assert champion.tags["validated"] == "yes"
    assert target.get_model_version(name, 1).current_stage == "Staging"
    src_run = source.get_run(source.get_model_version(name, 3).run_id)
    assert target.get_run(champion.run_id).info.run_name == src_run.info.run_name


def test_the_cli_prints_and_saves_the_mapping(filled, tmp_path):
    target_uri = f"sqlite:///{tmp_path / 'target.db'}"
    result = CliRunner().invoke(
        main, ["copy", "--from", filled[0], "--to", target_uri, "--mapping-file", "map.json"]
    )
    assert result.exit_code == 0, result.output
    assert "15 new" in result.output
    assert "model 'taxi-regressor': version 3 -> version 2" in result.output
    import json

    saved = json.loads((tmp_path / "map.json").read_text())
    assert len(saved["runs"]) == 15
    for src, dst in saved["runs"].items():
        assert f"run {src} -> {dst}" in result.output
    assert saved["model_versions"]["taxi-regressor"] == {"1": 1, "3": 2}


def test_a_dry_run_writes_nothing(filled, tmp_path):
    fresh = tmp_path / "new.db"
    result = CliRunner().invoke(
        main, ["copy", "--from", filled[0], "--to", f"sqlite:///{fresh}", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "runs: 15 new" in result.output
    assert "registry: 1 new models, 2 new versions" in result.output
    assert not fresh.exists()
    assert not (tmp_path / "minitrack-copy-mapping.json").exists()

    target = new_target(tmp_path)
    copy_store(minitrack.MlflowClient(filled[0]), target)
    before = content(target)
    result = CliRunner().invoke(
        main, ["copy", "--from", filled[0], "--to", target.tracking_uri, "--dry-run"]
    )
    assert "runs: 0 new, 2 brought up to date, 13 already copied" in result.output
    assert "registry: 0 new models, 0 new versions" in result.output
    assert content(target) == before


def test_a_store_is_not_copied_into_itself(filled):
    result = CliRunner().invoke(main, ["copy", "--from", filled[0], "--to", filled[0]])
    assert result.exit_code != 0
    assert "Refusing to copy a store into itself" in result.output


def test_an_unknown_experiment_is_named_with_the_ones_there(filled, tmp_path):
    result = CliRunner().invoke(
        main, ["copy", "--from", filled[0], "--to", f"sqlite:///{tmp_path / 't.db'}",
               "-e", "nope"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "No experiment named 'nope'" in result.output and "exp-0, exp-1" in result.output


def test_one_experiment_and_only_the_models_whose_runs_came_along(filled, tmp_path):
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)

    report = copy_store(source, target, ["exp-1"])

    assert [e.name for e in target.search_experiments()] == ["exp-1", "Default"] or {
        e.name for e in target.search_experiments()
    } == {"exp-1", "Default"}
    assert content(target)["experiments"]["exp-1"] == content(source)["experiments"]["exp-1"]
    assert target.search_registered_models() == []
    assert any("taxi-regressor" in n for n in report.notes)


def test_a_failing_run_is_reported_and_the_others_still_go(filled, tmp_path):
    # The target's copy of one run has a param the source disagrees with (someone logged
    # to the copy): params cannot change, so that run fails; the rest are copied.
    source = minitrack.MlflowClient(filled[0])
    target = new_target(tmp_path)
    src = source.search_runs(["1"], "attributes.status = 'FINISHED' and params.p0 = '0'")[0]
    exp = target.create_experiment("exp-0")
    bad = target.create_run(exp, tags={COPIED_FROM: f"{source.get_store_id()}/{src.info.run_id}"})
    target.log_param(bad.info.run_id, "p0", "something else")

    result = CliRunner().invoke(
        main, ["copy", "--from", filled[0], "--to", target.tracking_uri, "--no-progress"]
    )

    assert result.exit_code == 1
    assert f"FAILED run {src.info.run_id}" in result.output and "'p0'" in result.output
    mine = content(target)["experiments"]
    theirs = content(source)["experiments"]
    assert mine["exp-1"] == theirs["exp-1"]
    others = {n: r for n, r in theirs["exp-0"]["runs"].items() if n != src.info.run_name}
    assert {n: mine["exp-0"]["runs"][n] for n in others} == others


def test_batches_stay_within_a_servers_limits():
    metrics = [Metric("m", float(i), i, i) for i in range(2500)]
    params = [Param(f"p{i}", "v") for i in range(150)]
    tags = [RunTag(f"t{i}", "v") for i in range(80)]

    made = list(batches(metrics, params, tags))

    for m, p, t in made:
        assert len(m) <= 1000 and len(p) + len(t) <= 100 and len(m) + len(p) + len(t) <= 1000
        assert all(isinstance(x, Param) for x in p) and all(isinstance(x, RunTag) for x in t)
    assert [x for b in made for x in b[0]] == metrics
    assert [x for b in made for x in b[1]] == params
    assert [x for b in made for x in b[2]] == tags


def test_a_wide_run_is_copied_whole(tmp_path):
    source = minitrack.MlflowClient(f"sqlite:///{tmp_path / 's.db'}")
    rid = source.create_run("0", run_name="wide").info.run_id
    source.log_batch(
        rid,
        [Metric(f"m{k}", float(s), 1000 + s, s) for k in range(3) for s in range(1500)],
        [Param(f"p{i}", str(i)) for i in range(250)],
        [RunTag(f"t{i}", str(i)) for i in range(120)],
    )
    source.set_terminated(rid, "KILLED", 5000)
    target = minitrack.MlflowClient(f"sqlite:///{tmp_path / 't.db'}")

    copy_store(source, target)

    assert content(target) == content(source)
