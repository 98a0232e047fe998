"""Every shell command the READMEs show and the lessons print, run as a student would: in a
fresh clone of this repository after the setup, from the folder it is meant for.

The rule the README states: a command in a code block runs as printed from the course folder
with nothing activated; a command named in the text runs with the course environment active.
Commands printed by the lessons and by `course lessons` say they work from any folder, so
they are run from another one. A command that starts a server is started, asked whether it
answers, and stopped (Ctrl+C). What cannot run here is listed in :data:`SKIP` with its reason.

The clone gets its own HOME, Jupyter folders and data cache, so the kernel the setup registers
never touches the machine's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "lessons/README.md")
UV = shutil.which("uv")  # .ci/run puts it on PATH

_CONDA = "conda is not installed here and no conda channel is reachable (see the README)"
_WINDOWS = "Windows only"
_SUITE = "the test suite itself, which is what is running this test"
_VM = "for the class's VM, as root: "
SKIP = {
    "bash Miniforge3-MacOSX-arm64.sh": "the Miniforge installer for macOS",
    "bash Miniforge3-MacOSX-x86_64.sh": "the Miniforge installer for macOS",
    "bash Miniforge3-Linux-x86_64.sh": "installs Miniforge: " + _CONDA,
    "conda init": _CONDA,
    "conda activate": _CONDA,
    "conda activate exp-tracking": _CONDA,
    "conda init powershell": _CONDA + "; and Windows only",
    "python scripts\\setup_env.py": _WINDOWS,
    "powershell -ExecutionPolicy Bypass -File scripts\\setup.ps1": _WINDOWS,
    ".venv\\Scripts\\course start": _WINDOWS,
    ".venv\\Scripts\\course doctor": _WINDOWS,
    "jupyter kernelspec remove exp-tracking": "removes the kernel the clone's other commands "
    "run on, after asking at the terminal (tests/env covers registering and replacing it)",
    "Set-ExecutionPolicy -Scope CurrentUser RemoteSigned": _WINDOWS,
    ".venv/bin/python -m pytest": _SUITE,
    '.venv/bin/python -m pytest -m "not slow"': _SUITE,
    ".venv/bin/python -m pytest tests/env": _SUITE,
    "COURSE_FAST=1 .venv/bin/python -m pytest --nbmake lessons/": _SUITE
    + "; every notebook runs under papermill on both trackers in tests/lessons",
    "scripts/lock-env": "conda-lock needs conda-forge, which is not reachable here",
    "git add conda-lock.yml": "follows scripts/lock-env",
    ".venv/bin/course lessons": "the full settings take about 7 minutes; `course lessons "
    "--fast`, `--only 03 --fast` and `--only 02 -p NUM_TRIALS=2` run the same code here",
    "course lessons": "the same command as `.venv/bin/course lessons`, skipped above",
    ".venv/bin/course data fetch": "downloads the TLC files: no internet here "
    "(test_data_download.py runs it against a local server)",
    # The README's tracking-server paragraph names the login steps in its text.
    "minitrack server add-user --basic-auth-file users.txt ada": "asks for a password "
    "twice at the terminal (tests/server covers add-user)",
    "minitrack server --host 0.0.0.0 --basic-auth-file users.txt": "needs the users.txt "
    "the add-user line writes (tests/server starts a server with a login)",
    # The README's "one class, one server": commands for the class's VM.
    ".venv/bin/minitrack server add-user --basic-auth-file users.txt student01": "asks for "
    "a password twice at the terminal (tests/server covers add-user)",
    ".venv/bin/minitrack server --backend-store-uri sqlite:///class.db --artifacts-destination "
    "./class-artifacts --host 0.0.0.0 --port 5000 --basic-auth-file users.txt": "needs the "
    "users.txt the add-user line writes (tests/server starts a server with a login)",
    "sudo apt-get install -y postgresql": _VM + "installs PostgreSQL system-wide",
    "sudo -u postgres createuser --pwprompt mlflow": _VM + "needs the PostgreSQL above",
    "sudo -u postgres createdb --owner mlflow mlflow": _VM + "needs the PostgreSQL above",
    "python3 -m venv ~/mlflow-server": _VM + "the VM's own MLflow environment",
    '~/mlflow-server/bin/pip install mlflow "psycopg[binary]"': _VM + "downloads MLflow",
    "~/mlflow-server/bin/mlflow server --backend-store-uri "
    "postgresql+psycopg://mlflow:PASS@localhost:5432/mlflow --artifacts-destination "
    "/srv/mlflow-artifacts --host 0.0.0.0 --port 5000 --app-name basic-auth": _VM
    + "needs the PostgreSQL database above",
    ".venv/bin/minitrack copy --from sqlite:///mlflow.db --to http://SERVER:5000": "needs the "
    "class's server at SERVER (tests/scaleout copies into real servers)",
    "minitrack copy --from sqlite:///mlflow.db --to http://127.0.0.1:5000": "needs a running "
    "MLflow server on port 5000 (tests/scaleout copies into real servers)",
    "course lessons --fast --tracking-uri http://SERVER:5000": "needs the class's server at "
    "SERVER (tests/lessons/test_lessons_on_postgres.py runs it against a real one)",
}
# What the lessons print that cannot run here, by its ending (the script's path varies).
PRINTED_SKIP = {
    "course data fetch": "downloads the TLC files: no internet here "
    "(test_data_download.py runs it against a local server)",
}
# Commands that may exit 1 and still have worked: the doctor says FAIL when a check fails.
MAY_EXIT_1 = {
    "course doctor": "exits 1 when a check fails (another process may hold port 5000)",
    "course check-code": "exits 1 when it finds calls that will not run: in the course folder "
    "it also reads tests/env/check_code_corpus/old, old code kept on purpose",
}
# Long-running commands: started, asked, stopped. The text also names `minitrack server`
# bare (with the environment active), which must not be left running until the timeout.
SERVERS = ("course start", "minitrack ui", "mlflow ui", "minitrack server")
_COMMAND_START = re.compile(
    r"^(\.venv[/\\]|python3? |sh |bash |course |minitrack |mlflow |conda |mamba |micromamba "
    r"|powershell |Set-ExecutionPolicy |COURSE_FAST=|git |jupyter |scripts[/\\])"
)


def shown_commands(text: str) -> list[tuple[str, bool]]:
    """``(command, in_code_block)`` for every command in a Markdown text: each line of a
    ``sh`` block (without its trailing comment), each inline span that starts like one."""
    found = []
    fence = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
    for match in fence.finditer(text):
        if match.group(1) in ("sh", "bash", "shell", "console"):
            for line in match.group(2).splitlines():
                line = re.split(r"\s{2,}#\s", line)[0].strip()
                if line and not line.startswith("#"):
                    found.append((line, True))
    for span in re.findall(r"`([^`\n]+)`", fence.sub("", text)):
        if _COMMAND_START.match(span.strip()) and " " in span.strip():
            found.append((span.strip(), False))
    return found


def test_commands_are_found_in_code_blocks_and_in_the_text():
    text = "Run\n\n```sh\n.venv/bin/course lessons   # all\n```\n\nthen `course doctor` or `x`."

    assert shown_commands(text) == [(".venv/bin/course lessons", True), ("course doctor", False)]


def test_every_skipped_command_is_still_shown_and_the_readme_states_the_rule():
    shown = {command for doc in DOCS for command, _ in shown_commands((REPO / doc).read_text())}

    assert sorted(set(SKIP) - shown) == [], "remove these from SKIP"
    assert "Commands in code blocks run as printed from the course folder" in (
        (REPO / "README.md").read_text()
    )


# --------------------------------------------------------------------------- the clone


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A fresh clone of this checkout's last commit, set up as the README's first line does."""
    if UV is None:
        pytest.skip("needs uv on PATH (the setup uses it to install quickly; .ci/run has it)")
    root = tmp_path_factory.mktemp("student") / "course"
    home = root.parent / "home"
    # uv alone on the clone's PATH: the folder it came from may hold another python3
    uv_only = root.parent / "uv-only"
    uv_only.mkdir()
    (uv_only / "uv").symlink_to(UV)
    subprocess.run(["git", "clone", "-q", str(REPO), str(root)], check=True)
    cache = subprocess.run(
        [UV, "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "COURSE_FAST", "JUPYTER_PATH")
        and not key.startswith(("COURSE_", "MLFLOW_", "JUPYTER_"))
    } | {
        "PATH": os.pathsep.join([str(uv_only), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "JUPYTER_DATA_DIR": str(home / "jupyter"),
        "JUPYTER_PATH": str(home / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
        "UV_CACHE_DIR": cache,  # the machine's package cache: the install stays offline-fast
        "BROWSER": "true",  # `jupyter lab` opens no browser window
        "PYTHONUNBUFFERED": "1",
    }
    if os.geteuid() == 0:  # JupyterLab refuses root (CI runs tests as root) unless told
        (home / "jupyter-config").mkdir(parents=True)
        (home / "jupyter-config" / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"allow_root": True}})
        )
    done = subprocess.run(
        ["python3", "scripts/setup_env.py"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root, env


FAST_LESSONS = ".venv/bin/course lessons --fast"


@pytest.fixture(scope="module")
def fast_lessons(clone) -> subprocess.CompletedProcess:
    """`.venv/bin/course lessons --fast` from the course folder, run once for both tests: the
    README shows it, and the lessons it runs print the commands the second test runs."""
    root, env = clone
    return subprocess.run(
        FAST_LESSONS.split(), cwd=root, env=env, capture_output=True, text=True, timeout=1200
    )


def shell(command: str, activated: bool, cwd: Path, root: Path) -> list[str]:
    """bash running ``command``, after activating the clone's environment when asked."""
    if activated:
        command = f". {root / '.venv' / 'bin' / 'activate'} && {command}"
    return ["bash", "-c", command]


def run(command: str, activated: bool, cwd: Path, root: Path, env: dict) -> str | None:
    """Run one command; None when it worked, else what went wrong."""
    if any(server in command for server in SERVERS):
        return serve(command, activated, cwd, root, env)
    try:
        done = subprocess.run(
            shell(command, activated, cwd, root),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    except subprocess.TimeoutExpired as exc:
        return f"`{command}` in {cwd} took more than {exc.timeout:.0f} s:\n{exc.stdout}"
    return _failed(command, cwd, done)


def _failed(command: str, cwd: Path, done: subprocess.CompletedProcess) -> str | None:
    """None when a finished command worked, else what went wrong."""
    allowed = {0, 1} if command.split(" --")[0].endswith(tuple(MAY_EXIT_1)) else {0}
    if done.returncode in allowed and "Traceback" not in done.stderr:
        return None
    return f"`{command}` in {cwd} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr}"


def serve(command: str, activated: bool, cwd: Path, root: Path, env: dict) -> str | None:
    """Start a server command, check that it answers, stop it with Ctrl+C."""
    process = subprocess.Popen(
        shell(command, activated, cwd, root),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    said, problem = [], None
    try:
        deadline = time.monotonic() + 120
        for line in process.stdout:
            said.append(line)
            port_taken = re.search(r"already in use.*Use another one: (--port \d+)", line)
            if port_taken:  # what the message tells a student to do
                process.wait(timeout=30)
                return run(f"{command} {port_taken.group(1)}", activated, cwd, root, env)
            jupyter = re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+)/lab\?token=(\w+)", line)
            tracker = re.search(r"(http://127\.0\.0\.1:\d+)\b", line)
            if jupyter:
                url = f"{jupyter.group(1)}/api/status?token={jupyter.group(2)}"
            elif tracker and "jupyter" not in command and "start" not in command:
                url = f"{tracker.group(1)}/health"
            else:
                assert time.monotonic() < deadline, "".join(said)
                continue
            for _ in range(60):
                try:
                    with urllib.request.urlopen(url, timeout=5) as answer:
                        if answer.status == 200:
                            return None
                except OSError:
                    time.sleep(0.5)
            problem = f"`{command}`: {url} did not answer"
            break
        problem = problem or f"`{command}` stopped:\n{''.join(said)}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl+C, as the README says
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return problem


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_every_command_the_readmes_show_runs_as_printed(clone, fast_lessons):
    root, env = clone
    # The commands that read a store (`minitrack experiments`, the web UI) are meant for a
    # folder holding one: the README's Python example makes it, in the course folder.
    (example,) = python_blocks((root / "README.md").read_text())
    made = subprocess.run(
        [".venv/bin/python", "-c", example], cwd=root, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    done, failures, skipped = set(), [], []
    for doc in DOCS:
        for line, in_block in shown_commands((root / doc).read_text()):
            for command in (part.strip() for part in line.split(" && ")):
                if command in SKIP:
                    skipped.append(command)
                    continue
                if command in done:
                    continue
                done.add(command)
                if command == FAST_LESSONS and in_block:  # already run, as printed
                    problem = _failed(command, root, fast_lessons)
                else:
                    problem = run(command, not in_block, root, root, env)
                if problem:
                    failures.append(f"{doc}: {problem}")

    assert failures == [], "\n\n".join(failures)
    assert {".venv/bin/course lessons --fast", ".venv/bin/course start"} <= done
    # everything the commands wrote (workspace/, build/, stores) is ignored by git
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
    )
    assert status.stdout == "", status.stdout


def test_every_command_the_lessons_and_the_runner_print_runs_as_printed(
    clone, fast_lessons, tmp_path
):
    root, env = clone
    lessons = fast_lessons
    assert lessons.returncode == 0, lessons.stdout + lessons.stderr
    folder = (
        root / re.search(r"Working folder \(a fresh tracking store\): (\S+)", lessons.stdout)[1]
    )
    printed = []
    for notebook in sorted(folder.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            for output in cell.get("outputs", []):
                for line in "".join(output.get("text", "")).splitlines():
                    # a console script of the clone's environment and its subcommand
                    # (in a sentence it stands between backticks, which end it)
                    found = re.search(
                        r"([^\s`]*/\.venv/bin/(?:course|minitrack|mlflow) \w[^`]*)(?:`|$)", line
                    )
                    if found and not found[1].strip().endswith(tuple(PRINTED_SKIP)):
                        printed.append((notebook.stem, found[1].strip()))
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()

    assert {stem for stem, _ in printed} >= {"00-check-your-setup", "01-single-run"}
    failures = [
        f"{stem}: {problem}"
        for stem, command in dict.fromkeys(printed)
        if (problem := run(command, False, elsewhere, root, env))
    ]
    # the summary's last line, from the folder `course lessons` ran in
    summary_command = lessons.stdout.strip().splitlines()[-1].strip()
    assert summary_command.startswith(".venv/bin/minitrack ui --backend-store-uri sqlite:///")
    if problem := run(summary_command, False, root, root, env):
        failures.append(f"summary: {problem}")

    assert failures == [], "\n\n".join(failures)
