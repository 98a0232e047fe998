"""One artifact-path rule end to end: every name the API accepts is listed, previewed and
downloaded by the UI, and no symlink at run or experiment level leads a request (or
``download_artifacts``) outside the experiment's artifact location.

Each test runs a real `minitrack ui` process on a store logged through minitrack.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import quote

import pytest

import minitrack
from minitrack import MlflowClient

from .conftest import RunningServer, get_json, raw_get

pytestmark = pytest.mark.timeout(120)

# Names MLflow 3.17 accepts for log_text's artifact_file (checked in tests/core against
# real MLflow), and the file each one becomes.
ACCEPTED = {
    "plain.txt": "plain.txt",
    "notes/a:b.txt": "notes/a:b.txt",
    "results:v2.txt": "results:v2.txt",
    "~backup.txt": "~backup.txt",
    "a*b?.txt": "a*b?.txt",
    "x/../y.txt": "y.txt",
    "./dot.txt": "dot.txt",
    "a//double.txt": "a/double.txt",
    "a#hash.txt": "a#hash.txt",
    "sp ace.txt": "sp ace.txt",
    "ünï.txt": "ünï.txt",
    "pct%2e%2e.txt": "pct%2e%2e.txt",
    "..dots.txt": "..dots.txt",
    "a/.../b.txt": "a/.../b.txt",
}
if os.name != "nt":  # a backslash separates folders on Windows only
    ACCEPTED["notes\\win.txt"] = "notes\\win.txt"


@pytest.fixture(scope="module")
def named_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("named")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp_id = client.create_experiment("names", artifact_location=str(folder / "artifacts"))
    run = client.create_run(exp_id)
    for name in ACCEPTED:
        client.log_text(run.info.run_id, f"content of {name}", name)
    server = RunningServer(uri, folder)
    yield client, run.info.run_id, server, folder
    server.stop()


def _all_files(server, run_id: str, path: str = "") -> set[str]:
    status, body = get_json(server, f"/api/runs/{run_id}/artifacts", path=path)
    assert status == 200, body
    found = set()
    for entry in body["files"]:
        if entry["is_dir"]:
            found |= _all_files(server, run_id, entry["path"])
        else:
            found.add(entry["path"])
    return found


def test_every_accepted_name_is_listed_previewed_and_downloaded(named_store):
    client, run_id, server, _ = named_store
    stored = set(ACCEPTED.values())
    assert _all_files(server, run_id) == stored
    assert {f.path for f in client.list_artifacts(run_id)} >= {p.split("/")[0] for p in stored}
    for logged, stored_as in ACCEPTED.items():
        status, preview = get_json(server, f"/api/runs/{run_id}/artifacts/preview", path=stored_as)
        assert status == 200, (stored_as, preview)
        assert preview["text"] == f"content of {logged}"
        status, headers, body = raw_get(
            server, f"/api/runs/{run_id}/artifacts/file?path={quote(stored_as)}&download=1"
        )
        assert status == 200, (stored_as, body)
        assert body == f"content of {logged}"
        assert "attachment" in headers["content-disposition"]


@pytest.fixture
def linked_run(tmp_path):
    """A run with one artifact, a secret beside the store, and a client on that store."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp_id = client.create_experiment("links", artifact_location=str(tmp_path / "mlruns" / "1"))
    run = client.create_run(exp_id)
    client.log_text(run.info.run_id, "fine", "ok.txt")
    secret = tmp_path / "etc"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0")
    return client, run.info.run_id, tmp_path, secret


def _replace_with_link(folder, target) -> None:
    shutil.rmtree(folder)
    os.symlink(target, folder)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
@pytest.mark.parametrize("level", ["artifacts folder", "run folder", "experiment folder"])
def test_a_symlink_at_run_or_experiment_level_serves_nothing(linked_run, level):
    client, run_id, folder, secret = linked_run
    artifacts = folder / "mlruns" / "1" / run_id / "artifacts"
    if level == "artifacts folder":
        _replace_with_link(artifacts, secret)
        leak = "passwd"
    elif level == "run folder":
        (secret / "artifacts").mkdir()
        (secret / "artifacts" / "passwd").write_text("root:x:0:0")
        _replace_with_link(artifacts.parent, secret)
        leak = "passwd"
    else:
        # The experiment's location as stored is the boundary: a link *below* it that
        # replaces the run's parent folder is refused.
        (secret / run_id / "artifacts").mkdir(parents=True)
        (secret / run_id / "artifacts" / "passwd").write_text("root:x:0:0")
        inner = folder / "mlruns" / "1"
        moved = folder / "moved"
        inner.rename(moved)
        inner.mkdir()
        os.symlink(secret / run_id, inner / run_id)
        leak = "passwd"
    server = RunningServer(f"sqlite:///{folder / 'mlflow.db'}", folder)
    try:
        for endpoint in ("file", "preview"):
            status, _, body = raw_get(
                server, f"/api/runs/{run_id}/artifacts/{endpoint}?path={leak}"
            )
            assert status == 404, (level, endpoint, body)
            assert "root:x" not in body
        status, body = get_json(server, f"/api/runs/{run_id}/artifacts")
        assert status == 404 and "outside" in body["message"], body
    finally:
        server.stop()
    with pytest.raises(minitrack.MinitrackException, match="outside"):
        client.download_artifacts(run_id, leak, str(folder / "dl"))
    with pytest.raises(minitrack.MinitrackException, match="outside"):
        minitrack.artifacts.download_artifacts(
            f"runs:/{run_id}/{leak}", dst_path=str(folder / "dl2"), tracking_uri=client.tracking_uri
        )
    with pytest.raises(minitrack.MinitrackException, match="outside"):
        client.log_text(run_id, "overwrite", "passwd")
    assert not (folder / "dl").exists() and not (folder / "dl2").exists()
    assert (secret / "passwd").read_text() == "root:x:0:0"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_an_experiment_location_that_is_itself_a_link_still_works(tmp_path):
    # The location as stored may be a link (mlruns on another disk): that is the boundary.
    real = tmp_path / "big-disk"
    real.mkdir()
    os.symlink(real, tmp_path / "mlruns")
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp_id = client.create_experiment("linked", artifact_location=str(tmp_path / "mlruns"))
    run = client.create_run(exp_id)
    client.log_text(run.info.run_id, "kept", "notes.txt")
    assert (real / run.info.run_id / "artifacts" / "notes.txt").read_text() == "kept"
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["notes.txt"]
