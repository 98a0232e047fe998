#!/usr/bin/env python3
"""Set up the course environment, the same way on Windows, macOS and Linux.

    python3 scripts/setup_env.py            # create or update the environment, then check it
    python3 scripts/setup_env.py --dev      # ... with the test tools too
    python3 scripts/setup_env.py --dry-run  # print the exact commands, change nothing
    python3 scripts/setup_env.py --force    # recreate from scratch
    python3 scripts/setup_env.py --remove   # delete the environment and its Jupyter kernel

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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_NAME = "exp-tracking"
KERNEL_NAME = "exp-tracking"
KERNEL_DISPLAY_NAME = "Python (exp-tracking)"
STAMP_NAME = "exp-tracking-setup.json"
STAMP_VERSION = 1  # bump when what the stamp vouches for changes
VENV_MIN_PYTHON = (3, 10)  # pyproject.toml's requires-python
MIN_FREE_GB = 3.0  # the lessons stack with XGBoost, JupyterLab and pyarrow takes ~2 GB
MINIFORGE_URL = "https://github.com/conda-forge/miniforge#install"
CONDA_TOOLS = ("micromamba", "mamba", "conda")  # fastest first


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


class Runner:
    """Runs (or, in a dry run, only prints) the commands and file actions of the setup."""

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run

    def run(self, command: list[str], what: str, env: dict | None = None) -> None:
        say(f"  $ {show_command(command)}")
        if self.dry_run:
            return
        try:
            completed = subprocess.run(command, env=env)
        except FileNotFoundError as error:
            raise SetupError(f"{what} failed: cannot run {command[0]} ({error}).") from error
        if completed.returncode != 0:
            raise SetupError(
                f"{what} failed (exit code {completed.returncode}); its output is above. "
                "Fix the cause and run this script again: it picks up where it stopped "
                "(or add --force to start over)."
            )

    def action(self, description: str, perform) -> None:
        say(f"  - {description}")
        if not self.dry_run:
            perform()


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
    runner: Runner, python_command: list[str], interpreter: Path | None, kernel_prefix: Path | None
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


def remove_kernel(runner: Runner, folder: Path, prefix: Path | None) -> None:
    step(f"Removing the Jupyter kernel {KERNEL_NAME!r}")
    current = kernel_target(folder)
    if current is None and not folder.exists():
        say(f"  no kernel spec in {folder}: nothing to remove")
        return
    points_here = current is not None and prefix is not None and _inside(current, prefix)
    if current is not None and not points_here and os.path.exists(current):
        say(f"  keeping {folder}: it runs {current}, which is not this environment")
        return
    runner.action(f"delete {folder}", lambda: shutil.rmtree(folder))


def _inside(path: str, folder: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


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

    if kind is not None and args.force:
        step(f"Removing the environment at {prefix} (--force)")
        runner.action(f"delete {prefix}", lambda: shutil.rmtree(prefix))
        kind = None
    elif kind is not None and not python_starts(interpreter):
        # venv was interrupted before the interpreter was in place: nothing worth keeping
        step(f"Found a half-created environment at {prefix}: recreating it")
        runner.action(f"delete {prefix}", lambda: shutil.rmtree(prefix))
        kind = None

    stamp = read_stamp(prefix) if kind else None
    if kind and stamp and stamp.get("inputs") == digest and python_runs(interpreter):
        step(f"Environment {prefix} is up to date")
        say("  its setup stamp matches pyproject.toml and the extras: skipping the install")
        return [str(interpreter)], interpreter

    check_disk(prefix, runner)
    if kind is None:
        step(f"Creating a virtual environment in {prefix}")
        runner.run([sys.executable, "-m", "venv", str(prefix)], "Creating the environment")
    else:
        step(f"Updating the environment in {prefix}")
    target = f"{REPO}[{extras}]"
    step(f"Installing the course kit with [{extras}] using {'uv' if uv else 'pip'}")
    if uv:
        command = [uv, "pip", "install", "--python", str(interpreter), "-e", target]
    else:
        command = [str(interpreter), "-m", "pip", "install", "-e", target]
    runner.run(command, "Installing the course kit")
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
    if exists and args.force:
        step(f"Removing the environment {' '.join(target)} (--force)")
        runner.run(conda_remove_command(tool, exe, target), "Removing the environment")
        exists = False
    stamp = read_stamp(prefix) if exists and prefix else None
    if stamp and stamp.get("inputs") == digest:
        step(f"Environment {' '.join(target)} is up to date")
        say("  its setup stamp matches the environment files: skipping the install")
        interpreter = env_python(prefix, "conda")
        return [str(interpreter)], interpreter

    if prefix is not None and not exists:
        check_disk(prefix, runner)
    verb = "Updating" if exists else "Creating"
    step(f"{verb} the conda environment {' '.join(target)}")
    for command in conda_commands(tool, exe, target, exists, lock, conda_lock):
        runner.run(command, f"{verb} the environment")

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

    # The lock leaves out the editable install of the kit itself (conda-lock skips "-e ."),
    # and an update may not reinstall it: make sure it is there, without touching the deps.
    step(f"Installing the course kit itself (editable, [{extras}])")
    runner.run(
        python_command + ["-m", "pip", "install", "--no-deps", "-e", f"{REPO}[{extras}]"],
        "Installing the course kit",
    )
    write_stamp(runner, prefix, digest, method)
    return python_command, interpreter


# --- the whole setup ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="setup_env.py",
        description="Create or update the course environment and register its Jupyter kernel.",
    )
    parser.add_argument("--dev", action="store_true", help="also install the test tools")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, change nothing")
    parser.add_argument("--force", action="store_true", help="delete and recreate the environment")
    parser.add_argument("--remove", action="store_true", help="delete the environment and kernel")
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
        if prefix.is_dir() and any(prefix.iterdir()) and environment_kind(prefix) is None:
            raise UsageError(
                f"--prefix {prefix} is a folder with other content that is not a Python "
                "environment; refusing to install into it. Give a new or empty folder."
            )
    if args.name and (os.sep in args.name or "/" in args.name or not args.name.strip()):
        raise UsageError(f"--name {args.name!r}: a conda environment name, not a path.")


def next_steps(python_command: list[str], interpreter: Path | None, conda: bool) -> None:
    say("")
    say("Done. Next:")
    if conda:
        say(f"  conda activate {ENV_NAME}")
        say("  jupyter lab lessons/")
        say("  course lessons            # runs every lesson from the terminal")
    else:
        bindir = interpreter.parent if interpreter else Path(".venv") / "bin"
        rel = os.path.relpath(bindir, Path.cwd()) if interpreter else str(bindir)
        say(f"  {Path(rel) / 'jupyter'} lab lessons/")
        say(f"  {Path(rel) / 'course'} lessons      # runs every lesson from the terminal")
    say(f'  In JupyterLab pick the kernel "{KERNEL_DISPLAY_NAME}" (not "Python 3").')
    if os.name == "nt":
        say(
            "  PowerShell: if activating fails, run `conda init powershell` once and "
            "`Set-ExecutionPolicy -Scope CurrentUser RemoteSigned`, then open a new window."
        )


def run_doctor(runner: Runner, python_command: list[str], kernel_prefix: Path | None) -> None:
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
            "with its fix. Fix them and run `course doctor` again."
        )


def remove(args, runner: Runner, conda) -> None:
    kernel_prefix = Path(args.kernel_prefix).absolute() if args.kernel_prefix else None
    if conda is None:
        prefix = Path(args.prefix).absolute() if args.prefix else REPO / ".venv"
        interpreter = env_python(prefix, "venv")
        ask = [str(interpreter)] if interpreter.is_file() else None
        if not args.no_kernel:
            remove_kernel(runner, kernel_dir(ask, kernel_prefix), prefix)
        step(f"Removing the environment {prefix}")
        if not prefix.exists():
            say("  no environment there: nothing to remove")
        elif environment_kind(prefix) is None:
            raise UsageError(f"{prefix} is not a Python environment; refusing to delete it.")
        else:
            runner.action(f"delete {prefix}", lambda: shutil.rmtree(prefix))
        return
    tool, exe = conda
    if args.prefix:
        prefix, target = Path(args.prefix).absolute(), ["-p", str(Path(args.prefix).absolute())]
    else:
        prefix, target = conda_env_prefix(exe, args.name), ["-n", args.name]
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
        else:
            python_command, interpreter = setup_conda(args, runner, *conda, extras)
        kernel_prefix = Path(args.kernel_prefix).absolute() if args.kernel_prefix else None
        if not args.no_kernel:
            register_kernel(runner, python_command, interpreter, kernel_prefix)
        if not args.no_doctor:
            run_doctor(runner, python_command, kernel_prefix)
        say(f"Setup took {time.monotonic() - started:.1f} s.")
        if not args.dry_run:
            next_steps(python_command, interpreter, conda is not None)
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
