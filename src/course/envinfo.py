"""Facts about the machine and the running Python, gathered without third-party packages.

The doctor turns these facts into pass/warn/fail verdicts; keeping them apart makes each
fact easy to test and to print in ``course doctor --json``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path


def running_under_rosetta() -> bool:
    """True for an x86_64 process translated by Rosetta on an Apple Silicon Mac."""
    if sys.platform != "darwin":
        return False
    try:
        answer = subprocess.run(
            ["sysctl", "-n", "sysctl.proc_translated"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return answer.stdout.strip() == "1"


def platform_summary() -> dict:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "rosetta": running_under_rosetta(),
    }


def python_summary() -> dict:
    return {
        "version": platform.python_version(),
        "executable": sys.executable,
        "prefix": sys.prefix,
    }


def environment_kind(prefix: str | os.PathLike) -> str:
    """'conda', 'venv' or 'system' for the environment rooted at ``prefix``."""
    root = Path(prefix)
    if (root / "conda-meta").is_dir():
        return "conda"
    if (root / "pyvenv.cfg").is_file():
        return "venv"
    return "system"


def activated_environment() -> str | None:
    """The environment the shell activated (a venv wins over conda, as in the shell)."""
    return os.environ.get("VIRTUAL_ENV") or os.environ.get("CONDA_PREFIX") or None


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def same_python(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two interpreter paths are the same Python (venv symlinks count as distinct)."""
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def kernel_dirs(kernel_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders Jupyter searches for kernel specs, first match wins."""
    if kernel_dir is not None:
        return [Path(kernel_dir)]
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return []
    return [Path(folder) for folder in jupyter_path("kernels")]


def find_kernel(name: str, kernel_dir: str | os.PathLike | None = None) -> dict | None:
    """The kernel spec Jupyter would use for ``name``: its folder and its kernel.json."""
    for folder in kernel_dirs(kernel_dir):
        spec_file = folder / name / "kernel.json"
        if spec_file.is_file():
            try:
                spec = json.loads(spec_file.read_text("utf-8"))
            except (OSError, ValueError) as error:
                return {"path": str(spec_file), "error": str(error), "spec": None}
            return {"path": str(spec_file), "error": None, "spec": spec}
    return None


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port`` (binding would fail)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: refuse to share the port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def existing_parent(path: str | os.PathLike) -> Path:
    """The nearest folder of ``path`` that exists (for disk-space questions)."""
    current = Path(path).absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current if current.is_dir() else current.parent


# --- commands as the student types them, from the folder they are in -----------------------
# The doctor's fixes name commands of *this* environment, which need not be on PATH (a venv
# that was never activated): each is computed from sys.prefix and sys.executable.


def shown_path(path: str | os.PathLike) -> str:
    """``path`` as typed from the current folder: relative when inside it, quoted if needed."""
    try:
        relative = os.path.relpath(path, os.getcwd())
    except ValueError:  # another drive on Windows
        relative = str(path)
    text = str(path) if relative.startswith("..") else relative
    if os.name == "nt":
        return f'"{text}"' if " " in text else text
    return shlex.quote(text)


def console_command(name: str) -> str:
    """How to start this environment's console script ``name`` (``course``, ``minitrack``)."""
    script = Path(sysconfig.get_path("scripts")) / (name + (".exe" if os.name == "nt" else ""))
    if not script.is_file():
        return name
    found = shutil.which(name)
    if found and os.path.normcase(os.path.realpath(found)) == os.path.normcase(
        os.path.realpath(script)
    ):
        return name  # this environment is active (or its folder is on PATH)
    if os.name != "nt" and os.sep not in shown_path(script):
        return "./" + shown_path(script)  # a bare name would be looked up on PATH
    return shown_path(script)


def activation_command(prefix: str | os.PathLike | None = None) -> str:
    """The shell command that activates the environment at ``prefix`` (this one by default)."""
    root = Path(prefix if prefix is not None else sys.prefix)
    if environment_kind(root) == "conda":
        name = root.name if root.parent.name == "envs" else shown_path(root)
        return f"conda activate {name}"
    if os.name == "nt":
        scripts = root / "Scripts"
        return (
            f"{shown_path(scripts / 'activate')} in cmd, "
            f"{shown_path(scripts / 'Activate.ps1')} in PowerShell"
        )
    return f"source {shown_path(root / 'bin' / 'activate')}"


def setup_command() -> str:
    """The setup script of the checkout this kit was installed from, runnable from here."""
    python = "python" if os.name == "nt" else "python3"
    from course import versions

    pyproject = versions.kit_pyproject()
    script = pyproject.parent / "scripts" / "setup_env.py" if pyproject else None
    if script is None or not script.is_file():
        return f"{python} scripts/setup_env.py (in the course folder)"
    return f"{python} {shown_path(script)}"
