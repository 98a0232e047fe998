"""`course lessons` as a student sees it in the terminal: never silent for long, and every
invocation on a store of its own, so the same command picks the same model twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import minitrack
from course import runner

pytestmark = pytest.mark.slow

COURSE = str(Path(sys.executable).with_name("course"))


def timed_lines(command: list[str], cwd: Path, timeout: float = 1200):
    """Run ``command`` and return its stdout lines, each with the moment it arrived."""
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines, deadline = [], time.monotonic() + timeout
    for line in process.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
        assert time.monotonic() < deadline, "\n".join(text for _, text in lines)
    process.wait(timeout=60)
    return process.returncode, lines


def test_lesson_02_with_the_full_data_shows_progress_at_least_every_20_s(
    course_kernel, lessons_dir, tmp_path
):
    # The full settings (the whole synthetic month, 300 rounds, every core), but two trials.
    # DATA_SOURCE=synthetic: the full data this offline test can have, without a download try.
    code, lines = timed_lines(
        [COURSE, "lessons", "--only", "02", "--lessons-dir", str(lessons_dir)]
        + ["-p", "NUM_TRIALS=2", "-p", "DATA_SOURCE=synthetic"],
        cwd=tmp_path,
    )
    shown = "\n".join(text for _, text in lines)

    assert code == 0, shown
    start = next(i for i, (_, text) in enumerate(lines) if text.startswith("[1/1] 02-"))
    end = next(i for i, (_, text) in enumerate(lines) if text.startswith("    passed in"))
    gaps = [b[0] - a[0] for a, b in zip(lines[start:end], lines[start + 1 : end + 1], strict=True)]
    assert max(gaps) <= 20, f"silent for {max(gaps):.0f} s:\n{shown}"
    assert "trial 1/2: rmse " in shown and "trial 2/2: rmse " in shown
    assert "best so far" in shown
    assert any(text.startswith("    cell 1/") for _, text in lines)
    assert "Data source: synthetic, 20,000 trips for 2021-01" in shown
    # the summary's last line opens the UI on this invocation's store
    assert lines[-1][1].strip().endswith("/mlflow.db")
    assert " ui --backend-store-uri sqlite:///build/lessons/" in lines[-1][1]


def selected_params(folder: Path) -> tuple[int, dict]:
    """How many sweep runs the store holds, and the params lesson 03 re-trained with."""
    client = minitrack.MlflowClient(tracking_uri=runner.store_uri(folder))
    experiment = client.get_experiment_by_name("nyc-taxi-experiment")
    sweep = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost'")
    (final,) = client.search_runs([experiment.experiment_id], "tags.model = 'xgboost-selected'")
    return len(sweep), final.data.params


def test_course_lessons_fast_twice_in_a_row_picks_the_same_model(
    course_kernel, lessons_dir, tmp_path
):
    folders = []
    for _ in range(2):
        code, lines = timed_lines(
            [COURSE, "lessons", "--fast", "--lessons-dir", str(lessons_dir)], cwd=tmp_path
        )
        assert code == 0, "\n".join(text for _, text in lines)
        (line,) = [t for _, t in lines if t.startswith("Working folder (a fresh tracking store)")]
        folders.append(tmp_path / line.split(": ", 1)[1])

    first, second = (selected_params(folder) for folder in folders)
    assert folders[0] != folders[1]
    assert first[0] == second[0] == 4  # each store holds its own sweep only
    assert first[1] == second[1]
