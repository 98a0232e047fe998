"""Runs: the context manager, statuses, nesting, resuming, names and system tags."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

import minitrack as mlflow
from minitrack.entities import LifecycleStage, RunStatus

NAME_PATTERN = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")


def test_a_clean_exit_finishes_the_run_with_start_and_end_times(tracking_uri):
    before = time.time() * 1000
    with mlflow.start_run() as run:
        assert mlflow.active_run().info.run_id == run.info.run_id
        assert run.info.status == "RUNNING"
    stored = mlflow.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert before - 1 <= stored.info.start_time <= stored.info.end_time <= time.time() * 1000 + 1
    assert mlflow.active_run() is None
    assert mlflow.last_active_run().info.run_id == run.info.run_id


def test_an_exception_fails_the_run_and_propagates(tracking_uri):
    with pytest.raises(ZeroDivisionError), mlflow.start_run() as run:
        1 / 0  # noqa: B018
    assert mlflow.get_run(run.info.run_id).info.status == "FAILED"


def test_keyboard_interrupt_kills_the_run(tracking_uri):
    with pytest.raises(KeyboardInterrupt), mlflow.start_run() as run:
        raise KeyboardInterrupt
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"


def test_end_run_takes_a_status_and_is_a_no_op_without_a_run(tracking_uri):
    mlflow.end_run()  # nothing active: nothing happens
    run = mlflow.start_run()
    mlflow.end_run(status="KILLED")
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"
    with pytest.raises(mlflow.MlflowException, match="Invalid run status 'DONE'"):
        mlflow.start_run()
        mlflow.end_run("DONE")


def test_a_second_run_needs_nested_true(tracking_uri):
    with mlflow.start_run() as outer:
        with pytest.raises(mlflow.MlflowException, match="is already active"):
            mlflow.start_run()
        with mlflow.start_run(nested=True) as inner:
            assert mlflow.active_run().info.run_id == inner.info.run_id
        assert mlflow.active_run().info.run_id == outer.info.run_id
    child = mlflow.get_run(inner.info.run_id)
    assert child.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert "mlflow.parentRunId" not in mlflow.get_run(outer.info.run_id).data.tags


def test_parent_run_id_must_match_the_active_run(tracking_uri):
    with mlflow.start_run() as parent:
        pass
    with mlflow.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    assert mlflow.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    with (
        mlflow.start_run(),
        pytest.raises(mlflow.MlflowException, match="does not match the specified"),
    ):
        mlflow.start_run(nested=True, parent_run_id=parent.info.run_id)


def test_resuming_a_run_by_id_keeps_its_data(tracking_uri):
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("a", 1)
    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.status == "RUNNING"
        mlflow.log_metric("later", 2.0)
    stored = mlflow.get_run(run.info.run_id)
    assert stored.data.params == {"a": "1"} and stored.data.metrics == {"later": 2.0}
    assert stored.info.status == "FINISHED" and stored.info.run_name == "first"


def test_a_deleted_run_cannot_be_resumed_until_restored(client, tracking_uri):
    with mlflow.start_run() as run:
        pass
    mlflow.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == LifecycleStage.DELETED
    with pytest.raises(mlflow.MlflowException, match="deleted state"):
        mlflow.start_run(run_id=run.info.run_id)
    with pytest.raises(mlflow.MlflowException, match="must be in the 'active' state"):
        client.log_metric(run.info.run_id, "m", 1.0)
    client.restore_run(run.info.run_id)
    client.log_metric(run.info.run_id, "m", 1.0)
    assert mlflow.search_runs(output_format="list")[0].info.run_id == run.info.run_id


def test_generated_names_look_like_mlflows(tracking_uri):
    names = set()
    for _ in range(20):
        with mlflow.start_run() as run:
            pass
        assert NAME_PATTERN.match(run.info.run_name), run.info.run_name
        assert mlflow.get_run(run.info.run_id).data.tags["mlflow.runName"] == run.info.run_name
        names.add(run.info.run_name)
    assert len(names) > 15


def test_description_and_tags_at_start(tracking_uri):
    with mlflow.start_run(description="first try", tags={"stage": "dev", "n": 3}) as run:
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["mlflow.note.content"] == "first try"
    assert tags["stage"] == "dev" and tags["n"] == "3"
    with pytest.raises(mlflow.MlflowException, match="Description is already set"):
        mlflow.start_run(description="x", tags={"mlflow.note.content": "y"})


def test_run_name_and_run_name_tag_must_agree(client):
    with pytest.raises(mlflow.MlflowException, match="different values"):
        client.create_run("0", run_name="a", tags={"mlflow.runName": "b"})
    run = client.create_run("0", tags={"mlflow.runName": "b"})
    assert run.info.run_name == "b"


def test_system_tags_on_every_run(tracking_uri):
    with mlflow.start_run() as run:
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["mlflow.user"] == run.info.user_id != ""
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == sys.argv[0]


def _fake_git_repo(root, branch="main", sha="0123456789abcdef0123456789abcdef01234567"):
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    ref = git / "refs" / "heads" / branch
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(sha + "\n")
    return sha


def _run_script(folder, body: str) -> dict:
    script = folder / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, minitrack as mlflow
            mlflow.set_tracking_uri("sqlite:///mlflow.db")
            with mlflow.start_run() as run:
                pass
            print(json.dumps(mlflow.get_run(run.info.run_id).data.tags))
            """
        )
        + body
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[0])


def test_git_commit_and_branch_are_read_from_the_scripts_repository(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    sha = _fake_git_repo(project, branch="feature/x")
    tags = _run_script(project / "src", "")
    assert tags["mlflow.source.git.commit"] == sha
    assert tags["mlflow.source.git.branch"] == "feature/x"
    assert tags["mlflow.source.name"].endswith("train.py")


def test_packed_refs_and_detached_heads_are_understood(tmp_path):
    packed = tmp_path / "packed"
    git = packed / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    sha = "f" * 40
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{sha} refs/heads/main\n")
    assert _run_script(packed, "")["mlflow.source.git.commit"] == sha
    detached = tmp_path / "detached"
    (detached / ".git").mkdir(parents=True)
    (detached / ".git" / "HEAD").write_text("a" * 40 + "\n")
    tags = _run_script(detached, "")
    assert tags["mlflow.source.git.commit"] == "a" * 40
    assert "mlflow.source.git.branch" not in tags


def test_no_git_tags_outside_a_repository(tmp_path):
    tags = _run_script(tmp_path, "")
    assert not any(k.startswith("mlflow.source.git") for k in tags)


@pytest.mark.slow
def test_inside_a_jupyter_kernel_the_notebook_is_the_source(tmp_path):
    from jupyter_client.manager import start_new_kernel

    notebook = tmp_path / "lesson.ipynb"
    env = dict(os.environ, JPY_SESSION_NAME=str(notebook))
    env.pop("MLFLOW_TRACKING_URI", None)
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        code = (
            "import minitrack as mlflow\n"
            "mlflow.set_tracking_uri('sqlite:///mlflow.db')\n"
            "with mlflow.start_run() as run: pass\n"
            "tags = mlflow.get_run(run.info.run_id).data.tags\n"
            "print(tags['mlflow.source.type'], tags['mlflow.source.name'])\n"
        )
        lines = []
        reply = kc.execute_interactive(
            code, timeout=60, output_hook=lambda m: lines.append(m["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "".join(lines).split() == ["NOTEBOOK", str(notebook)]


def test_run_status_and_view_type_helpers():
    assert RunStatus.to_string(RunStatus.FINISHED) == "FINISHED"
    assert RunStatus.from_string("KILLED") == RunStatus.KILLED
    assert RunStatus.is_terminated("FAILED") and not RunStatus.is_terminated("RUNNING")
    assert len(RunStatus.all_status()) == 5


def test_view_type_names_round_trip():
    from minitrack.entities import ViewType

    for name in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL"):
        assert ViewType.to_string(ViewType.from_string(name)) == name
    with pytest.raises(mlflow.MlflowException, match="Unknown view type 'SOME'"):
        ViewType.from_string("SOME")


def test_resuming_a_run_with_a_bad_tag_leaves_it_as_it_was(tracking_uri):
    # Found by the 5,000-example hypothesis run: the run was set RUNNING, then the tag refused.
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.1)
    run_id = run.info.run_id
    before = mlflow.get_run(run_id)

    with pytest.raises(mlflow.MinitrackException, match="is 300 characters long"):
        mlflow.start_run(run_id=run_id, tags={"x" * 300: "v"})

    after = mlflow.get_run(run_id)
    assert (after.info.status, after.info.end_time) == ("FINISHED", before.info.end_time)
    assert (after.data.params, after.data.tags) == (before.data.params, before.data.tags)
    assert mlflow.active_run() is None
