"""The environment files of a model folder: requirements.txt, conda.yaml, python_env.yaml.

Requirements are worked out in-process: the flavour's library and the libraries it loads,
plus the top-level package of every class and function the pickled model refers to, each
pinned to the version installed here (`importlib.metadata`). MLflow instead spawns a
subprocess that imports the model and watches which modules load, which costs seconds per
logged model.

The model's `MLmodel` names MLflow's loaders (`mlflow.sklearn`, `mlflow.xgboost`) so that
MLflow loads and serves it; requirements.txt therefore starts with an `mlflow` line, pinned
to the installed MLflow when there is one, so `mlflow models serve` can rebuild the
environment. minitrack reads the same folder without needing that line.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

REQUIREMENTS_FILE = "requirements.txt"
CONDA_ENV_FILE = "conda.yaml"
PYTHON_ENV_FILE = "python_env.yaml"

# The first MLflow that loads every field minitrack writes (pickle sklearn, ubj xgboost).
MLFLOW_FLOOR = "mlflow>=2.0"

# Import name -> distribution name, for the common case; others go through metadata.
_KNOWN_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "xgboost": "xgboost",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "cloudpickle": "cloudpickle",
    "joblib": "joblib",
}
# Names that never become a requirement: the model cannot be rebuilt from them.
_SKIPPED_MODULES = {"__main__", "builtins", "minitrack"}


@cache
def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def _all_distributions() -> dict[str, list[str]]:
    # Scans every installed distribution: only reached for uncommon modules.
    return importlib.metadata.packages_distributions()


def distribution_of(module: str) -> str | None:
    """The installed distribution providing top-level module `module`, if any."""
    top = module.split(".", 1)[0]
    if top in _SKIPPED_MODULES or top in sys.stdlib_module_names:
        return None
    if top in _KNOWN_DISTRIBUTIONS:
        return _KNOWN_DISTRIBUTIONS[top]
    found = _all_distributions().get(top)
    return found[0] if found else None


def pinned(distribution: str) -> str:
    """`name==version` when installed, else the bare name."""
    version = installed_version(distribution)
    return f"{distribution}=={version}" if version else distribution


def infer_requirements(distributions: Iterable[str], modules: Iterable[str] = ()) -> list[str]:
    """Pinned requirements: the `mlflow` line, then `distributions` and the owners of `modules`."""
    names = set(distributions)
    names.update(d for d in (distribution_of(m) for m in modules) if d)
    names.discard("mlflow")
    mlflow_line = pinned("mlflow") if installed_version("mlflow") else MLFLOW_FLOOR
    return [mlflow_line] + sorted((pinned(name) for name in names), key=str.lower)


def _python_version() -> str:
    return platform.python_version()


def write_environment(folder: Path, requirements: list[str]) -> dict[str, str]:
    """Write the three environment files; returns pyfunc's `env` entry for MLmodel."""
    from minitrack.models.mlmodel import dump_yaml

    (folder / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    pip_version = installed_version("pip")
    conda_env = {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={_python_version()}",
            f"pip<={pip_version}" if pip_version else "pip",
            {"pip": requirements},
        ],
        "name": "mlflow-env",
    }
    (folder / CONDA_ENV_FILE).write_text(dump_yaml(conda_env), encoding="utf-8")
    python_env = {
        "python": _python_version(),
        "build_dependencies": [pinned("pip"), pinned("setuptools"), pinned("wheel")],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (folder / PYTHON_ENV_FILE).write_text(dump_yaml(python_env), encoding="utf-8")
    return {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE}
