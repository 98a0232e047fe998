"""A student runs a lesson in JupyterLab, opened by `course start`, in headless Chromium:
the copy in workspace/ gets the outputs, the repository stays clean, the hygiene checks pass."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course import notebooks, runner

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
LESSON = "01-single-run"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def course_repo(tmp_path):
    """A git repository holding the committed lessons and the kit's .gitignore."""
    repo = tmp_path / "course"
    source = runner.default_lessons_dir()
    shutil.copytree(source, repo / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(source.parent / ".gitignore", repo / ".gitignore")
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "lessons"],
    ):
        subprocess.run(command, cwd=repo, check=True)
    return repo


@pytest.fixture
def lab(course_repo, course_kernel):
    """`course start` in the repository, as the README says, on a free port."""
    port, token = free_port(), "course-test-token"
    env = os.environ | {"COURSE_FAST": "1", "BROWSER": "true"}  # small data, strict checks
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("course")), "start", "--no-browser"]
        + [f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),  # CI machines run tests as root
        cwd=course_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    said = []
    for line in process.stdout:
        said.append(line)
        if re.search(rf"http://(localhost|127\.0\.0\.1):{port}/lab", line):
            break
    else:
        pytest.fail("JupyterLab did not start:\n" + "".join(said))
    yield f"http://127.0.0.1:{port}", token, "".join(said)
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_a_lesson_run_and_saved_in_jupyterlab_leaves_the_repository_clean(course_repo, lab):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, token, said = lab
    assert f"{LESSON}: copied to {course_repo / 'workspace' / (LESSON + '.ipynb')}" in said
    copy = course_repo / "workspace" / f"{LESSON}.ipynb"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.goto(f"{url}/lab/tree/{LESSON}.ipynb?token={token}")
        # the notebook opens on the course kernel, named as the README says
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        page.get_by_text("Python (exp-tracking)").first.wait_for(timeout=120_000)
        # Run All before the kernel has started may queue nothing: wait until it is idle
        page.wait_for_selector(
            '.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000
        )
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        try:
            page.get_by_text("checks passed. Well done!").wait_for(timeout=300_000)
        except PlaywrightTimeout as exc:
            errors = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
            said = errors.all_inner_texts()
            raise AssertionError(f"the lesson did not pass; its stderr: {said}") from exc
        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 60
        while "Well done!" not in copy.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        browser.close()

    saved = json.loads(copy.read_text())
    assert any(cell.get("outputs") for cell in saved["cells"]), "the copy was not saved"
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=course_repo,
        capture_output=True,
        text=True,
    )
    assert status.stdout == ""
    committed = course_repo / "lessons" / f"{LESSON}.ipynb"
    assert notebooks.problems(committed) == []
    assert committed.read_text() == notebooks.render(
        course_repo / "lessons" / "source" / f"{LESSON}.py"
    )
