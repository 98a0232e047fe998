"""The artifact-path rule against real MLflow 3.17: the same names are accepted or refused,
and an accepted name becomes the same file.

Both trackers run the same script in a subprocess (so MLflow's global state stays out of
this process), each on its own store, and report what happened to every name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.mlflow

FILE_NAMES = [
    "a.txt",
    "notes/a:b.txt",
    "results:v2.txt",
    "~backup.txt",
    "notes\\win.txt",
    "a*b?.txt",
    "x/../y.txt",
    "../y.txt",
    "/abs.txt",
    "./a2.txt",
    "a//b.txt",
    "a/./c.txt",
    "a#b.txt",
    "sp ace.txt",
    "ünï.txt",
    "pct%2e%2e/b.txt",
    "dir/",
    "a/b/../../c2.txt",
    ".hidden",
    "a/../../b.txt",
    "..dots.txt",
    "a/.../b.txt",
    "file:///etc/x.txt",
]
FOLDER_NAMES = ["x/../y", "../y", "a:b", "a\\b", "./d", "d/", "/abs", "~d", "ok/sub"]

# Kept differences, each with its reason:
# - ".." (the folder above the run's) and "x/.." (the run's folder itself) are accepted by
#   MLflow, which then fails inside the file write with IsADirectoryError; minitrack refuses
#   them up front with a message that says why.
# - A NUL in a name: MLflow raises ValueError ("embedded null byte"); minitrack refuses it
#   with a MinitrackException (not compared, a NUL cannot be passed through argv).
ONLY_MINITRACK_NAMES = {
    "..": "would leave the run's artifact folder",
    "x/..": "names the run's folder",
}

SCRIPT = r"""
import json, os, sys, logging, warnings
logging.disable(logging.WARNING)
warnings.filterwarnings("ignore")
tracker, folder = sys.argv[1], sys.argv[2]
names, folders = json.loads(sys.argv[3]), json.loads(sys.argv[4])
if tracker == "mlflow":
    import mlflow as t
else:
    import minitrack as t
t.set_tracking_uri(f"sqlite:///{folder}/store.db")
exp = t.create_experiment("names", artifact_location=os.path.join(folder, "artifacts"))
outcome = {}
src = os.path.join(folder, "f.txt")
open(src, "w").write("y")
with t.start_run(experiment_id=exp) as run:
    for name in names:
        try:
            t.log_text("x", name)
            outcome[name] = "ok"
        except Exception as e:
            outcome[name] = type(e).__name__
    for name in folders:
        try:
            t.log_artifact(src, artifact_path=name)
            outcome["dir:" + name] = "ok"
        except Exception as e:
            outcome["dir:" + name] = type(e).__name__
root = os.path.join(folder, "artifacts", run.info.run_id, "artifacts")
files = sorted(
    os.path.relpath(os.path.join(here, f), root) for here, _, fs in os.walk(root) for f in fs
)
print(json.dumps({"outcome": outcome, "files": files}))
"""


def _run(tracker: str, folder) -> dict:
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, tracker, str(folder), json.dumps(FILE_NAMES),
         json.dumps(FOLDER_NAMES)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(os.name == "nt", reason="MLflow's rule differs on Windows (backslash)")
def test_the_same_names_are_accepted_and_become_the_same_files(tmp_path):
    mine = _run("minitrack", tmp_path / "minitrack")
    theirs = _run("mlflow", tmp_path / "mlflow")
    accepted = {k: v == "ok" for k, v in mine["outcome"].items()}
    expected = {k: v == "ok" for k, v in theirs["outcome"].items()}
    assert accepted == expected
    assert mine["files"] == theirs["files"]


def test_names_that_are_the_run_folder_itself_are_refused_clearly(tmp_path):
    import minitrack

    minitrack.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with minitrack.start_run():
        for name, says in ONLY_MINITRACK_NAMES.items():
            with pytest.raises(minitrack.MinitrackException, match=says):
                minitrack.log_text("x", name)
        with pytest.raises(minitrack.MinitrackException, match="NUL"):
            minitrack.log_text("x", "a\x00b.txt")
