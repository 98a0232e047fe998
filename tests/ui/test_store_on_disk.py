"""The UI serves the store as it is on disk now: deleted, replaced or swapped files are
noticed at the next request, never mixed with what an old connection still sees.

A real `minitrack ui` process, and real SQLite files changed under it the ways a
student changes them: deleting the file to start afresh, moving another store over
it, copying a backup onto it in place.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import RunningServer, get_json

pytestmark = pytest.mark.timeout(120)


LOG = """
import sys
from minitrack import MlflowClient
client = MlflowClient(sys.argv[1])
for name in sys.argv[2:]:
    client.create_run(client.create_experiment(name), run_name=f"{name}-run")
"""


def make_store(path, *experiments: str) -> None:
    """Log in another process, as a notebook would: it ends, and its connection with it."""
    subprocess.run([sys.executable, "-c", LOG, f"sqlite:///{path}", *experiments], check=True)


def shown(server) -> set[str]:
    status, body = get_json(server, "/api/experiments")
    assert status == 200, body
    return {e["name"] for e in body["experiments"]}


def remove_store(path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


@pytest.fixture
def served(tmp_path):
    db = tmp_path / "mlflow.db"
    make_store(db, "first")
    server = RunningServer(f"sqlite:///{db}", tmp_path)
    yield db, server
    server.stop()


def test_a_deleted_store_shows_as_empty_then_the_new_one(served, tmp_path):
    db, server = served
    assert "first" in shown(server)
    remove_store(db)
    assert shown(server) == set()
    make_store(db, "second")
    assert shown(server) == {"Default", "second"}


def test_a_store_moved_over_the_old_one_is_served_at_the_next_request(served, tmp_path):
    db, server = served
    assert "first" in shown(server)
    other = tmp_path / "other.db"
    make_store(other, "other-a", "other-b")
    remove_store(db)
    other.rename(db)
    assert shown(server) == {"Default", "other-a", "other-b"}
    status, body = get_json(server, "/api/experiments/1/runs")
    assert [r["run_name"] for r in body["runs"]] == ["other-a-run"]


def test_a_backup_copied_onto_the_file_in_place_is_noticed(served, tmp_path):
    db, server = served
    backup = tmp_path / "backup.db"
    make_store(backup, "from-backup")
    assert "first" in shown(server)
    shutil.copyfile(backup, db)  # same inode, new content
    assert shown(server) == {"Default", "from-backup"}
