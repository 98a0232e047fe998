#!/usr/bin/env python3
"""Set up the course environment, the same way on Windows, macOS and Linux.

    python3 scripts/setup_env.py            # create or update the environment, then check it
    python3 scripts/setup_env.py --dev      # ... with the test tools too
    python3 scripts/setup_env.py --dry-run  # print the exact commands, change nothing
    python3 scripts/setup_env.py --force    # recreate from scratch
    python3 scripts/setup_env.py --remove   # delete the environment and its Jupyter kernel

It only ever deletes what it created: each environment and kernel folder it makes gets a
marker holding the folder's own path, and anything without one is refused with a message.

With micromamba, mamba or conda available, the conda environment ``exp-tracking`` is created
from ``conda-lock.yml`` when the repository has one, else from ``environment.yml`` (the course's
recommended path). Without any of them, a ``.venv`` in the repository gets the kit and its
lesson extra, through ``uv`` when it is on PATH, else pip. Either way the environment's own
Python is registered as the Jupyter kernel "Python (exp-tracking)", ``course doctor`` checks
the result, and a stamp inside the environment makes the next run skip what is already done.

Standard library only and Python 3.9+, because it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_NAME = "exp-tracking"
KERNEL_NAME = "exp-tracking"
KERNEL_DISPLAY_NAME = "Python (exp-tracking)"
STAMP_NAME = "exp-tracking-setup.json"
# Written by this script into every environment and kernel folder it creates, holding the
# folder's own path (and a kernel's environment): the only licence to ever delete one.
MARKER_NAME = "exp-tracking-created-by-setup.json"
STAMP_VERSION = 1  # bump when what the stamp vouches for changes
VENV_MIN_PYTHON = (3, 10)  # pyproject.toml's requires-python
MIN_FREE_GB = 3.0  # the lessons stack with XGBoost, JupyterLab and pyarrow takes ~2 GB
MINIFORGE_URL = "https://github.com/conda-forge/miniforge#install"
CONDA_TOOLS = ("micromamba", "mamba", "conda")  # fastest first
# What the long steps install, told to the student before they start (uv counted 120 on Linux).
INSTALL_SIZE = "the kit and about 120 packages"
CONDA_SIZE = "Python and the whole course stack from conda-forge"
HEARTBEAT_SECONDS = 15.0  # a quiet installer gets a "still working" line this often


class SetupError(Exception):
    """Something the user must fix; the message says what. Exit code 1 (2 for bad input)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(SetupError):
    def __init__(self, message: str):
        super().__init__(message, exit_code=2)


# --- small helpers --------------------------------------------------------------------------


def say(message: str = "") -> None:
    print(message, flush=True)


def step(title: str) -> None:
    say(f"==> {title}")


def show_command(command: list[str]) -> str:
    if os.name == "nt":
        return subprocess.list2cmdline(command)
    return shlex.join(command)


def env_python(prefix: Path, kind: str) -> Path:
    """Where the interpreter of a venv or conda environment lives."""
    if os.name == "nt":
        return prefix / ("Scripts" if kind == "venv" else "") / "python.exe"
    return prefix / "bin" / "python"


def environment_kind(prefix: Path) -> str | None:
    if (prefix / "pyvenv.cfg").is_file():
        return "venv"
    if (prefix / "conda-meta").is_dir():
        return "conda"
    return None


def free_gb(path: Path) -> float:
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return shutil.disk_usage(current).free / 1e9


def default_jupyter_data_dir() -> Path:
    """Jupyter's per-user data folder, as jupyter_core computes it (used before Jupyter exists)."""
    if os.environ.get("JUPYTER_DATA_DIR"):
        return Path(os.environ["JUPYTER_DATA_DIR"])
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Jupyter"
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return Path(appdata) / "jupyter" if appdata else home / ".jupyter" / "data"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "jupyter"


def running_under_rosetta() -> bool:
    if sys.platform != "darwin" or platform.machine() != "x86_64":
        return False
    try:
        answer = subprocess.run(
            ["sysctl", "-n", "sysctl.proc_translated"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return answer.stdout.strip() == "1"


def inputs_digest(extras: str, method: str) -> str:
    """Hash of everything that decides what gets installed; stored in the stamp."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "environment.yml", "conda-lock.yml"):
        path = REPO / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<absent>")
    digest.update(f"{extras}\0{method}\0{STAMP_VERSION}".encode())
    return digest.hexdigest()


# --- running commands -----------------------------------------------------------------------


def heartbeat_seconds() -> float:
    # COURSE_SETUP_HEARTBEAT_SECONDS shortens the wait between "still working" lines (tests)
    return float(os.environ.get("COURSE_SETUP_HEARTBEAT_SECONDS") or HEARTBEAT_SECONDS)


class Runner:
    """Runs (or, in a dry run, only prints) the commands and file actions of the setup."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run

    def run(
        self, command: list[str], what: str, env: dict | None = None, expect: str | None = None
    ) -> None:
        """Run ``command``; ``expect`` tells the student first what a long step will do."""
        if expect:
            say(f"  {expect}")
        say(f"  $ {show_command(command)}")
        if self.dry_run:
            return
        try:
            if sys.stdout.isatty():  # the installers draw their own progress on a terminal
                returncode = subprocess.run(command, env=env).returncode
            else:
                returncode = relay_with_heartbeat(command, what, env)
        except FileNotFoundError as error:
            raise SetupError(f"{what} failed: cannot run {command[0]} ({error}).") from error
        if returncode != 0:
            raise SetupError(
                f"{what} failed (exit code {returncode}); its output is above. "
                "Fix the cause and run this script again: it picks up where it stopped "
                "(or add --force to start over)."
            )

    def action(self, description: str, perform) -> None:
        say(f"  - {description}")
        if not self.dry_run:
            perform()


def relay_with_heartbeat(command: list[str], what: str, env: dict | None) -> int:
    """Pass the child's output on line by line; while it is quiet, say it is still working.

    Without a terminal (a CI log, a pipe) pip shows no progress bars and uv and conda stay
    silent for minutes: a line with the elapsed time shows the setup has not hung.
    """
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started = last_output = time.monotonic()
    lock = threading.Lock()

    def pump() -> None:
        nonlocal last_output
        for line in iter(process.stdout.readline, b""):
            with lock:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()
                last_output = time.monotonic()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    interval = heartbeat_seconds()
    try:
        while True:
            try:
                process.wait(timeout=min(1.0, interval / 2))
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            with lock:
                if now - last_output >= interval:
                    say(f"  ... {what.lower()}: still working, {now - started:.0f} s so far")
                    last_output = now
    except KeyboardInterrupt:
        process.wait()  # Ctrl+C reached the child too: let it stop first
        raise
    reader.join()
    return process.returncode


def capture(command: list[str]) -> str | None:
    """Output of a quick query, or None when the command cannot run or fails."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


# --- the Jupyter kernel ---------------------------------------------------------------------


def kernel_dir(python_command: list[str] | None, kernel_prefix: Path | None) -> Path:
    """Folder of the ``exp-tracking`` kernel spec that ``ipykernel install`` will write."""
    if kernel_prefix is not None:
        return kernel_prefix / "share" / "jupyter" / "kernels" / KERNEL_NAME
    if python_command is not None:
        asked = capture(
            python_command
            + ["-c", "from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())"]
        )
        if asked and asked.strip():
            return Path(asked.strip()) / "kernels" / KERNEL_NAME
    return default_jupyter_data_dir() / "kernels" / KERNEL_NAME


def kernel_target(folder: Path) -> str | None:
    """The Python an existing kernel spec runs (its argv[0]), or None when there is none."""
    try:
        spec = json.loads((folder / "kernel.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    argv = spec.get("argv") or [None]
    return argv[0]


def same_path(a: str | Path, b: str | Path) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def register_kernel(
    runner: Runner,
    python_command: list[str],
    interpreter: Path | None,
    kernel_prefix: Path | None,
    env_prefix: Path | None,
) -> None:
    step(f'Registering the Jupyter kernel "{KERNEL_DISPLAY_NAME}"')
    folder = kernel_dir(None if runner.dry_run else python_command, kernel_prefix)
    current = kernel_target(folder)
    if current and interpreter is not None and same_path(current, interpreter):
        say(f"  kernel {KERNEL_NAME!r} already runs {interpreter}: nothing to do")
        return
    if current:
        say(f"  replacing the stale kernel spec in {folder}, which ran {current}")
    where = ["--prefix", str(kernel_prefix)] if kernel_prefix else ["--user"]
    command = python_command + ["-m", "ipykernel", "install", *where]
    command += ["--name", KERNEL_NAME, "--display-name", KERNEL_DISPLAY_NAME]
    runner.run(command, "Registering the kernel")
    if env_prefix is not None:
        # ipykernel may have written elsewhere than asked in a dry run: ask again
        written = kernel_dir(None if runner.dry_run else python_command, kernel_prefix)
        runner.action(
            f"record in {written / MARKER_NAME} that the kernel belongs to {env_prefix}",
            lambda: write_marker(written, "kernel", True, env=str(env_prefix)),
        )


def remove_kernel(runner: Runner, folder: Path, prefix: Path | None) -> None:
    """Delete the course kernel spec only when this setup registered it for this env."""
    step(f"Removing the Jupyter kernel {KERNEL_NAME!r}")
    current = kernel_target(folder)
    if current is None and not folder.exists():
        say(f"  no kernel spec in {folder}: nothing to remove")
        return
    marker = read_marker(folder) if created_here(folder) else None
    owner = marker.get("env") if marker else None
    if owner is None or prefix is None or not same_path(owner, prefix):
        if owner is not None:
            whose = f"this setup registered it for {owner}, not for {prefix}"
        else:
            whose = f"it has no {MARKER_NAME}, so this setup did not register it"
        say(
            f"  keeping {folder} (it runs {current or 'nothing readable'}): {whose}. "
            f"To remove it yourself: jupyter kernelspec remove {KERNEL_NAME}"
        )
        return
    runner.action(f"delete {folder}", lambda: delete_created(folder))


# --- the stamp: what was installed, from which inputs -------------------------------------


def read_stamp(prefix: Path) -> dict | None:
    try:
        return json.loads((prefix / STAMP_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def write_stamp(runner: Runner, prefix: Path | None, digest: str, method: str) -> None:
    if prefix is None:
        return
    stamp = {
        "inputs": digest,
        "method": method,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    runner.action(
        f"record the setup in {prefix / STAMP_NAME}",
        lambda: (prefix / STAMP_NAME).write_text(json.dumps(stamp, indent=2), "utf-8"),
    )


# --- what this setup created, and so may delete ------------------------------------------
#
# A folder holding pyvenv.cfg or conda-meta/ may also be a student's project with an in-place
# venv, or an environment some other tool made. So nothing is ever deleted on the strength of
# what a folder looks like: only a folder whose marker, written by this script when it
# created the folder, records that very path.


def read_marker(folder: Path) -> dict | None:
    try:
        marker = json.loads((folder / MARKER_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def created_here(folder: Path | None) -> bool:
    """Whether this setup created ``folder`` (its marker names this very path)."""
    if folder is None or folder.is_symlink() or not folder.is_dir():
        return False
    marker = read_marker(folder)
    return marker is not None and same_path(str(marker.get("path", "")), folder)


def write_marker(folder: Path, kind: str, made_folder: bool, **facts: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    marker = {
        "created_by": "scripts/setup_env.py",
        "kind": kind,
        "path": str(folder),
        "made_folder": made_folder,  # False: the folder was there (empty) and stays on removal
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **facts,
    }
    (folder / MARKER_NAME).write_text(json.dumps(marker, indent=2), "utf-8")


def delete_created(folder: Path) -> None:
    """Delete a folder this setup created (callers check :func:`created_here` first)."""
    marker = read_marker(folder) or {}
    if marker.get("made_folder", True):
        shutil.rmtree(folder)
        return
    for child in folder.iterdir():  # the folder was the student's: empty it, keep it
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def delete_by_hand(folder: Path) -> str:
    if os.name == "nt":
        return f'PowerShell: Remove-Item -Recurse -Force "{folder}"; cmd: rmdir /s /q "{folder}"'
    return f"rm -rf {shlex.quote(str(folder))}"


def not_ours(folder: Path, found: str, by_hand: str) -> SetupError:
    """The refusal to delete something this setup did not create, and what to do instead."""
    marker = read_marker(folder) if folder.is_dir() else None
    if folder.is_symlink():
        why = "it is a link to another folder"
    elif marker is not None:
        why = f"its {MARKER_NAME} records {marker.get('path')}: it was moved or copied here"
    else:
        why = f"it has no {MARKER_NAME}, which the setup writes into what it creates"
    return SetupError(
        f"{folder} holds {found}, but this setup did not create it ({why}). It may hold your "
        "own files, so the setup will not delete it. If it is only a disposable environment, "
        f"delete it yourself ({by_hand}) and run this script again; or keep it and give the "
        "setup another place with --prefix (or --name for conda)."
    )


def python_starts(interpreter: Path) -> bool:
    return interpreter.is_file() and capture([str(interpreter), "-c", "pass"]) is not None


def python_runs(interpreter: Path) -> bool:
    """The interpreter starts and imports the course kit (the install completed)."""
    return interpreter.is_file() and capture([str(interpreter), "-c", "import course"]) is not None


# --- finding conda --------------------------------------------------------------------------


def find_conda(explicit: str | None) -> tuple[str, str] | None:
    """(tool, executable) of micromamba, mamba or conda, or None."""
    candidates = [explicit] if explicit else []
    if not explicit:
        candidates += [shutil.which(tool) for tool in CONDA_TOOLS]
        candidates += [os.environ.get("MAMBA_EXE"), os.environ.get("CONDA_EXE")]
    for candidate in candidates:
        if candidate:
            stem = Path(candidate).name.lower()
            for tool in CONDA_TOOLS:  # micromamba before mamba: "mamba" is inside "micromamba"
                if stem.startswith(tool):
                    return tool, candidate
            if explicit:
                raise UsageError(
                    f"--conda-exe {explicit}: expected a micromamba, mamba or conda executable."
                )
    return None


# --- the venv path --------------------------------------------------------------------------


def setup_venv(args, runner: Runner, prefix: Path, extras: str) -> tuple[list[str], Path]:
    interpreter = env_python(prefix, "venv")
    uv = shutil.which("uv")
    # uv and pip install the same thing: switching installers is no reason to redo the install
    method = "venv"
    digest = inputs_digest(extras, method)
    kind = environment_kind(prefix)

    if args.venv:
        say("Using a virtual environment (--venv).")
    else:
        say("No micromamba, mamba or conda found: using a virtual environment instead.")
    say(
        "  The course recommends conda (conda-forge's XGBoost ships libomp on macOS). "
        f"Get Miniforge from {MINIFORGE_URL} and run this script again to switch."
    )
    if sys.version_info[:2] < VENV_MIN_PYTHON:
        wanted = ".".join(map(str, VENV_MIN_PYTHON))
        raise SetupError(
            f"This Python is {platform.python_version()}; the course needs {wanted}+. "
            f"Install Miniforge ({MINIFORGE_URL}) - it brings its own Python - or run this "
            f"script with a newer Python (python3.11 scripts/setup_env.py)."
        )

    ours = created_here(prefix)
    refuse_unrelated_folder(prefix, kind, ours)
    if (kind is not None or ours) and args.force:
        if not ours:
            raise not_ours(prefix, f"a {kind} environment", delete_by_hand(prefix))
        step(f"Removing the environment at {prefix} (--force)")
        runner.action(f"delete {prefix}", lambda: delete_created(prefix))
        kind = None
    elif (kind is not None or ours) and not python_starts(interpreter):
        if not ours:
            raise not_ours(
                prefix, f"a {kind} environment whose Python does not start", delete_by_hand(prefix)
            )
        # venv was interrupted before the interpreter was in place: nothing worth keeping
        step(f"Found a half-created environment at {prefix}: recreating it")
        runner.action(f"delete {prefix}", lambda: delete_created(prefix))
        kind = None

    stamp = read_stamp(prefix) if kind else None
    if kind and stamp and stamp.get("inputs") == digest and python_runs(interpreter):
        step(f"Environment {prefix} is up to date")
        say("  its setup stamp matches pyproject.toml and the extras: skipping the install")
        return [str(interpreter)], interpreter

    check_disk(prefix, runner)
    if kind is None:
        step(f"Creating a virtual environment in {prefix}")
        made_folder = not prefix.exists() or created_here(prefix)
        runner.action(
            f"record in {prefix / MARKER_NAME} that this setup created it",
            lambda: write_marker(prefix, "venv", made_folder),
        )
        runner.run(
            [sys.executable, "-m", "venv", str(prefix)],
            "Creating the environment",
            expect="an empty environment with pip: usually well under a minute",
        )
    else:
        step(f"Updating the environment in {prefix}")
        if not ours:
            say(
                "  this setup did not create it, so --force and --remove will leave it alone "
                "(delete it yourself to start over)"
            )
    target = f"{REPO}[{extras}]"
    step(f"Installing the course kit with [{extras}] using {'uv' if uv else 'pip'}")
    if uv:
        # Compiled, as pip and conda install: without .pyc files every new interpreter (a
        # kernel, a server) compiles what it imports again, and `import mlflow` takes twice
        # as long; where PYTHONDONTWRITEBYTECODE is set, it always would.
        command = [uv, "pip", "install", "--compile-bytecode", "--python", str(interpreter),
                   "-e", target]  # fmt: skip
    else:
        command = [str(interpreter), "-m", "pip", "install", "-e", target]
    if uv:
        expect = "about a minute with uv (less from its cache); uv's output follows"
    else:
        expect = "2-5 minutes with pip, which downloads it all; pip's progress follows"
    expect = f"{INSTALL_SIZE}: {expect}"
    runner.run(command, "Installing the course kit", expect=expect)
    write_stamp(runner, prefix, digest, method)
    return [str(interpreter)], interpreter


def check_disk(prefix: Path, runner: Runner) -> None:
    # COURSE_SETUP_MIN_FREE_GB lowers the guard on small disks (or raises it, in tests)
    needed = float(os.environ.get("COURSE_SETUP_MIN_FREE_GB") or MIN_FREE_GB)
    available = free_gb(prefix)
    if available >= needed:
        return
    message = (
        f"Only {available:.1f} GB free where the environment goes ({prefix}); it needs about "
        f"{needed:g} GB. Free some space, or put it elsewhere with --prefix."
    )
    if runner.dry_run:
        say(f"  warning: {message}")
        return
    raise SetupError(message)


# --- the conda path -------------------------------------------------------------------------


def conda_commands(
    tool: str,
    exe: str,
    target: list[str],
    exists: bool,
    lock: Path | None,
    conda_lock: str | None,
) -> list[list[str]]:
    """The commands that create or update the environment, as each tool's docs spell them."""
    env_file = str(REPO / "environment.yml")
    if lock is not None and tool == "micromamba":
        # micromamba reads conda-lock's unified lock file itself when the name ends in
        # "-lock.yml" (mamba docs, user guide > micromamba > "conda-lock YAML files").
        return [[exe, "create", "-y", *target, "-f", str(lock)]]
    if lock is not None and conda_lock is not None:
        # conda-lock docs, CLI reference: conda-lock install [--conda EXE] [--mamba/--no-mamba]
        # [-p PREFIX | -n NAME] [LOCK_FILE]. It always creates (replacing an existing env).
        which = "--mamba" if tool == "mamba" else "--no-mamba"
        return [[conda_lock, "install", "--conda", exe, which, *target, str(lock)]]
    if tool == "micromamba":
        # micromamba docs: "micromamba create -f env.yml"; "micromamba install -f env.yml"
        # adds what is missing to an existing environment (there is no env update --prune).
        verb = "install" if exists else "create"
        return [[exe, verb, "-y", *target, "-f", env_file]]
    # conda docs: "conda env create -n NAME -f FILE"; "conda env update -n NAME -f FILE --prune"
    # (mamba accepts the same "env" sub-commands).
    if exists:
        return [[exe, "env", "update", *target, "-f", env_file, "--prune"]]
    return [[exe, "env", "create", *target, "-f", env_file]]


def conda_remove_command(tool: str, exe: str, target: list[str]) -> list[str]:
    # conda docs: "conda env remove -n NAME" with -y to skip the prompt; micromamba and mamba
    # take the same "env remove -y".
    return [exe, "env", "remove", "-y", *target]


def conda_env_prefix(exe: str, name: str) -> Path | None:
    """Prefix of the named environment, from "<tool> env list --json" ({"envs": [paths]})."""
    listed = capture([exe, "env", "list", "--json"])
    if not listed:
        return None
    try:
        envs = json.loads(listed).get("envs", [])
    except ValueError:
        return None
    for path in envs:
        if Path(path).name == name:
            return Path(path)
    return None


def setup_conda(args, runner: Runner, tool: str, exe: str, extras: str):
    lock = REPO / "conda-lock.yml"
    lock = lock if lock.is_file() else None
    conda_lock = args.conda_lock_exe or shutil.which("conda-lock")
    if args.prefix:
        prefix = Path(args.prefix).absolute()
        target = ["-p", str(prefix)]
        exists = (prefix / "conda-meta").is_dir()
    else:
        prefix = (
            None if runner.dry_run and not Path(exe).exists() else conda_env_prefix(exe, args.name)
        )
        target = ["-n", args.name]
        exists = prefix is not None

    say(f"Using {tool} ({exe}) for the conda environment {' '.join(target)}.")
    if lock is None:
        say("  No conda-lock.yml in the repository: using environment.yml (not pinned).")
    elif tool != "micromamba" and conda_lock is None:
        say(
            "  conda-lock.yml is present but conda-lock is not installed: using environment.yml "
            f"instead. To use the lock: {exe} install -n base -c conda-forge conda-lock"
        )
        lock = None
    else:
        say(f"  Using the lock file {lock.name}.")
    if args.dev:
        say("  --dev: environment.yml already holds the test tools; the kit gets [dev] too.")

    method = f"{tool}+{'lock' if lock else 'environment.yml'}"
    digest = inputs_digest(extras, method)
    ours = created_here(prefix)
    by_hand = show_command(conda_remove_command(tool, exe, target))
    if args.prefix and not exists and prefix.is_dir() and any(prefix.iterdir()):
        # conda would create over (or wipe) whatever is there: a venv, or another tool's env
        raise not_ours(prefix, "files but no conda environment (no conda-meta)", by_hand)
    if exists and args.force:
        if not ours:
            raise not_ours(prefix, "a conda environment", by_hand)
        step(f"Removing the environment {' '.join(target)} (--force)")
        runner.run(conda_remove_command(tool, exe, target), "Removing the environment")
        exists = False
    if exists and lock is not None and not ours:
        # installing from the lock always re-creates the environment, replacing this one
        raise not_ours(prefix, "a conda environment the lock would replace", by_hand)
    stamp = read_stamp(prefix) if exists and prefix else None
    if stamp and stamp.get("inputs") == digest:
        step(f"Environment {' '.join(target)} is up to date")
        say("  its setup stamp matches the environment files: skipping the install")
        interpreter = env_python(prefix, "conda")
        return [str(interpreter)], interpreter, prefix

    if prefix is not None and not exists:
        check_disk(prefix, runner)
    verb = "Updating" if exists else "Creating"
    step(f"{verb} the conda environment {' '.join(target)}")
    expect = (
        f"{CONDA_SIZE}: often several minutes, much of it quiet while {tool} solves and downloads; "
        "its progress follows"
    )
    for command in conda_commands(tool, exe, target, exists, lock, conda_lock):
        runner.run(command, f"{verb} the environment", expect=expect)
    created = not exists or lock is not None  # installing from the lock always re-creates

    if prefix is None and not runner.dry_run:
        prefix = conda_env_prefix(exe, args.name)
        if prefix is None:
            raise SetupError(f"{tool} reported success but no environment {args.name!r} exists.")
    if prefix is not None:
        interpreter = env_python(prefix, "conda")
        python_command = [str(interpreter)]
    else:  # dry run for a named environment that does not exist yet
        interpreter = None
        python_command = [exe, "run", "-n", args.name, "python"]
    if created:  # the tool makes the folder itself: the marker goes in once it exists
        runner.action(
            f"record in {prefix / MARKER_NAME if prefix else 'the new environment'} that this "
            "setup created it",
            lambda: write_marker(prefix, "conda", True),
        )

    # The lock leaves out the editable install of the kit itself (conda-lock skips "-e ."),
    # and an update may not reinstall it: make sure it is there, without touching the deps.
    step(f"Installing the course kit itself (editable, [{extras}])")
    runner.run(
        python_command + ["-m", "pip", "install", "--no-deps", "-e", f"{REPO}[{extras}]"],
        "Installing the course kit",
    )
    write_stamp(runner, prefix, digest, method)
    return python_command, interpreter, prefix


# --- the whole setup ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="setup_env.py",
        description="Create or update the course environment and register its Jupyter kernel.",
    )
    parser.add_argument("--dev", action="store_true", help="also install the test tools")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, change nothing")
    parser.add_argument(
        "--force", action="store_true", help="delete and recreate the environment setup created"
    )
    parser.add_argument(
        "--remove", action="store_true", help="delete the environment and kernel setup created"
    )
    parser.add_argument("--prefix", help="where the environment goes (default: .venv, or conda's)")
    parser.add_argument("--name", default=ENV_NAME, help=f"conda environment name ({ENV_NAME})")
    parser.add_argument("--venv", action="store_true", help="use a venv even if conda is there")
    parser.add_argument("--conda-exe", help="the micromamba, mamba or conda executable to use")
    parser.add_argument("--conda-lock-exe", help="the conda-lock executable to use")
    parser.add_argument(
        "--kernel-prefix", help="register the kernel under PREFIX/share/jupyter (not --user)"
    )
    parser.add_argument("--no-kernel", action="store_true", help="do not register the kernel")
    parser.add_argument("--no-doctor", action="store_true", help="do not run course doctor")
    return parser.parse_args(argv)


def validate(args) -> None:
    for required in ("pyproject.toml", "environment.yml"):
        if not (REPO / required).is_file():
            raise UsageError(
                f"{REPO / required} is missing: this script must run from a complete copy of "
                "the course repository (git clone it again, or restore the file with git)."
            )
    if args.remove and args.force:
        raise UsageError("--remove and --force contradict each other: pick one.")
    if args.prefix:
        prefix = Path(args.prefix)
        if prefix.exists() and not prefix.is_dir():
            raise UsageError(
                f"--prefix {prefix} is a file, not a folder: give a new or empty folder "
                "(or an existing environment) for the environment."
            )
        refuse_unrelated_folder(prefix, environment_kind(prefix), created_here(prefix))
    if args.name and (os.sep in args.name or "/" in args.name or not args.name.strip()):
        raise UsageError(f"--name {args.name!r}: a conda environment name, not a path.")


def refuse_unrelated_folder(prefix: Path, kind: str | None, ours: bool) -> None:
    if prefix.is_dir() and kind is None and not ours and any(prefix.iterdir()):
        raise UsageError(
            f"{prefix} is a folder with other content that is not a Python environment; "
            "refusing to install into it or delete it. Give a new or empty folder with --prefix."
        )


def shown(path: Path) -> str:
    """``path`` as the student types it from the folder they are in (relative when inside)."""
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive on Windows
        relative = str(path)
    text = str(path) if relative.startswith("..") else relative
    if os.name == "nt":
        return f'"{text}"' if " " in text else text
    return shlex.quote(text)


def console_script(prefix: Path | None, name: str, kind: str) -> Path | None:
    if prefix is None:
        return None
    folder = env_python(prefix, kind).parent
    if os.name == "nt" and kind == "conda":
        folder = prefix / "Scripts"
    return folder / (name + (".exe" if os.name == "nt" else ""))


def next_steps(prefix: Path | None, conda: bool, args) -> None:
    """What to type next, each command as it works from here: activation first, once."""
    kind = "conda" if conda else "venv"
    active = os.environ.get("CONDA_PREFIX" if conda else "VIRTUAL_ENV")
    say("")
    say("Done.")
    if active and prefix is not None and same_path(active, prefix):
        say("The environment is already active in this terminal. Next:")
    else:
        say("To use the environment, activate it in each new terminal:")
        if conda:
            say(f"  conda activate {shown(prefix) if args.prefix else args.name}")
        elif os.name == "nt":
            say(f"  {shown(prefix / 'Scripts' / 'activate')}          (cmd)")
            say(f"  {shown(prefix / 'Scripts' / 'Activate.ps1')}      (PowerShell)")
        else:
            say(f"  source {shown(prefix / 'bin' / 'activate')}")
        say("Then:")
    say("  course start              # your own copies of the lessons, in JupyterLab")
    say("  course lessons            # or run every lesson from the terminal")
    say("  course doctor             # check the environment again")
    say("  minitrack ui              # browse your runs, from the folder holding mlflow.db")
    say(f'In JupyterLab pick the kernel "{KERNEL_DISPLAY_NAME}" (not "Python 3").')
    course = console_script(prefix, "course", kind)
    if course is not None:
        say(f"Without activating, give the full path: {shown(course)} doctor")
    if os.name == "nt":
        say(
            "PowerShell: if activating fails, run `Set-ExecutionPolicy -Scope CurrentUser "
            "RemoteSigned` once" + (" and `conda init powershell`" if conda else "") + ", then "
            "open a new window."
        )


def run_doctor(
    runner: Runner, python_command: list[str], kernel_prefix: Path | None, again: str
) -> None:
    step("Checking the environment (course doctor)")
    command = python_command + ["-m", "course.cli", "doctor"]
    if kernel_prefix is not None:
        command += ["--kernel-dir", str(kernel_prefix / "share" / "jupyter" / "kernels")]
    say(f"  $ {show_command(command)}")
    if runner.dry_run:
        return
    if subprocess.run(command).returncode != 0:
        raise SetupError(
            "The environment is installed, but course doctor found problems (above), each "
            f"with its fix. Fix them, then check again with: {again}"
        )


def remove(args, runner: Runner, conda) -> None:
    """Delete the environment and its kernel, but only what this setup recorded creating."""
    kernel_prefix = Path(args.kernel_prefix).absolute() if args.kernel_prefix else None
    if conda is None:
        prefix = Path(args.prefix).absolute() if args.prefix else REPO / ".venv"
        kind, ours = environment_kind(prefix), created_here(prefix)
        present = prefix.exists() or prefix.is_symlink()
        if present and not ours:  # refuse before touching anything, the kernel included
            if kind is None:
                raise UsageError(f"{prefix} is not a Python environment; refusing to delete it.")
            raise not_ours(prefix, f"a {kind} environment", delete_by_hand(prefix))
        interpreter = env_python(prefix, "venv")
        ask = [str(interpreter)] if interpreter.is_file() else None
        if not args.no_kernel:
            remove_kernel(runner, kernel_dir(ask, kernel_prefix), prefix)
        step(f"Removing the environment {prefix}")
        if not present:
            say("  no environment there: nothing to remove")
        else:
            runner.action(f"delete {prefix}", lambda: delete_created(prefix))
        return
    tool, exe = conda
    if args.prefix:
        prefix, target = Path(args.prefix).absolute(), ["-p", str(Path(args.prefix).absolute())]
    else:
        can_ask = not runner.dry_run or Path(exe).exists()
        prefix, target = (conda_env_prefix(exe, args.name) if can_ask else None), ["-n", args.name]
    by_hand = show_command(conda_remove_command(tool, exe, target))
    if prefix is None and args.prefix is None and runner.dry_run and not can_ask:
        say(
            f"  {exe} is not here to say where {args.name!r} lives: a real run removes it only "
            f"if its folder holds the {MARKER_NAME} this setup writes"
        )
    elif prefix is None or not (prefix / "conda-meta").is_dir():
        step(f"Removing the conda environment {' '.join(target)}")
        say("  no conda environment there: nothing to remove")
        return
    elif not created_here(prefix):
        raise not_ours(prefix, "a conda environment", by_hand)
    if not args.no_kernel:
        ask = [str(env_python(prefix, "conda"))] if prefix else None
        remove_kernel(runner, kernel_dir(ask, kernel_prefix), prefix)
    step(f"Removing the conda environment {' '.join(target)}")
    runner.run(conda_remove_command(tool, exe, target), "Removing the environment")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        validate(args)
        runner = Runner(args.dry_run)
        if args.dry_run:
            say("Dry run: nothing will be changed. These are the steps and exact commands.")
        if running_under_rosetta():
            raise SetupError(
                "This Python is an x86_64 build running under Rosetta on an Apple Silicon Mac. "
                "Install the arm64 Miniforge (Miniforge3-MacOSX-arm64) and run this script "
                "with its Python, so that the course environment is native."
            )
        conda = None if args.venv else find_conda(args.conda_exe)
        if args.conda_exe and conda is None:
            raise UsageError(f"--conda-exe {args.conda_exe} is not a conda executable.")
        if args.conda_exe and not runner.dry_run and not Path(args.conda_exe).exists():
            raise UsageError(f"--conda-exe {args.conda_exe} does not exist.")
        if args.remove:
            remove(args, runner, conda)
            if not args.dry_run:
                say("Removed.")
            return 0
        extras = "lessons,dev" if args.dev else "lessons"
        if conda is None:
            prefix = Path(args.prefix).absolute() if args.prefix else REPO / ".venv"
            python_command, interpreter = setup_venv(args, runner, prefix, extras)
            env_prefix = prefix
        else:
            python_command, interpreter, env_prefix = setup_conda(args, runner, *conda, extras)
        kernel_prefix = Path(args.kernel_prefix).absolute() if args.kernel_prefix else None
        if not args.no_kernel:
            register_kernel(runner, python_command, interpreter, kernel_prefix, env_prefix)
        if not args.no_doctor:
            course = console_script(env_prefix, "course", "venv" if conda is None else "conda")
            again = f"{shown(course)} doctor" if course else "course doctor"
            run_doctor(runner, python_command, kernel_prefix, again)
        say(f"Setup took {time.monotonic() - started:.1f} s.")
        if not args.dry_run:
            next_steps(env_prefix, conda is not None, args)
        return 0
    except SetupError as error:
        say("")
        say(f"setup_env.py: error: {error}")
        return error.exit_code
    except BrokenPipeError:  # output piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        say("\nInterrupted. Run the script again: it detects a half-created environment.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
