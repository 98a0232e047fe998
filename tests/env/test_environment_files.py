"""environment.yml (conda) and pyproject.toml (pip) describe the same environment, and a
committed conda-lock.yml is never stale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = ["linux-64", "osx-64", "osx-arm64", "win-64"]  # what scripts/lock-env locks
# PyPI name -> conda-forge name, where they differ (none today; e.g. "torch" -> "pytorch").
CONDA_NAMES: dict[str, str] = {}
# In environment.yml but not a Python requirement of the kit.
CONDA_ONLY = {"python", "pip"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split(requirement: str) -> tuple[str, str]:
    name, rest = re.match(
        r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(.*)$", requirement
    ).groups()
    return canonical(name), rest.replace(" ", "")


def environment_yml() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def environment_requirements() -> dict[str, str]:
    """name -> version spec of everything environment.yml installs (conda and pip)."""
    found = {}
    for entry in environment_yml()["dependencies"]:
        if isinstance(entry, dict):
            for pip_entry in entry["pip"]:
                if not pip_entry.startswith("-e"):
                    name, spec = split(pip_entry)
                    found[name] = spec
        else:
            name, spec = split(entry)
            found[name] = spec
    return found


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def pyproject_requirements() -> dict[str, str]:
    project = pyproject()
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    found = {}
    for requirement in requirements:
        name, spec = split(requirement)
        if name != canonical(project["name"]):  # "exp-tracking-course[lessons]" in dev
            found[CONDA_NAMES.get(name, name)] = spec
    return found


def test_every_dependency_is_named_in_both_files():
    conda = set(environment_requirements()) - CONDA_ONLY
    pip = set(pyproject_requirements())
    assert sorted(pip - conda) == [], "in pyproject.toml but missing from environment.yml"
    assert sorted(conda - pip) == [], "in environment.yml but missing from pyproject.toml"


def test_versions_agree():
    conda = environment_requirements()
    disagreements = [
        f"{name}: pyproject.toml says {spec or 'any'}, environment.yml says {conda[name] or 'any'}"
        for name, spec in pyproject_requirements().items()
        if SpecifierSet(spec) != SpecifierSet(conda[name])
    ]
    assert disagreements == []


def test_environment_python_satisfies_requires_python():
    pinned = environment_requirements()["python"]  # conda's "=3.11" means any 3.11.x
    assert pinned.startswith("="), "pin the course's Python version in environment.yml"
    version = Version(pinned.lstrip("=").rstrip(".*"))
    assert SpecifierSet(pyproject()["requires-python"]).contains(version)


def test_environment_is_the_course_env_from_conda_forge_with_the_kit_editable():
    spec = environment_yml()
    assert spec["name"] == "exp-tracking"
    assert spec["channels"] == ["conda-forge"]
    pip_section = next(entry["pip"] for entry in spec["dependencies"] if isinstance(entry, dict))
    assert "-e ." in pip_section


# --- the lock ------------------------------------------------------------------------------


def stale_platforms(lock_path: Path, environment_path: Path, tmp_path: Path) -> list[str]:
    """Platforms whose content hash in the lock does not match the environment file.

    Uses conda-lock's own code, exactly as ``conda-lock --check-input-hash`` decides whether
    to relock. The PyPI-to-conda name mapping only matters for pip packages, which map to
    themselves here, so an empty local mapping stands in for the online one.
    """
    from conda_lock.conda_lock import make_lock_spec
    from conda_lock.content_hash import backwards_compatible_content_hashes
    from conda_lock.lockfile import parse_conda_lock_file
    from conda_lock.virtual_package import default_virtual_package_repodata

    mapping = tmp_path / "pypi-mapping.json"
    mapping.write_text(json.dumps({}))
    lock = parse_conda_lock_file(lock_path)
    spec = make_lock_spec(
        src_files=[environment_path],
        platform_overrides=lock.metadata.platforms,
        mapping_url=str(mapping),
    )
    with default_virtual_package_repodata(cuda_version="default") as virtual_packages:
        return [
            platform
            for platform in lock.metadata.platforms
            if lock.metadata.content_hash[platform]
            not in backwards_compatible_content_hashes(spec, virtual_packages, platform)
        ]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:conda_lock")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:conda_lock")
def test_committed_lock_matches_environment_yml(tmp_path):
    lock = REPO / "conda-lock.yml"
    if not lock.is_file():
        pytest.skip(
            "no conda-lock.yml committed yet (no conda channel reachable where the kit is "
            "built): setup falls back to environment.yml; run scripts/lock-env to make one"
        )
    platforms = yaml.safe_load(lock.read_text())["metadata"]["platforms"]
    assert sorted(platforms) == sorted(PLATFORMS), "lock every platform students use"
    stale = stale_platforms(lock, REPO / "environment.yml", tmp_path)
    assert stale == [], "conda-lock.yml is stale for these platforms: run scripts/lock-env"


# conda-lock's own deprecation warnings (vendored frozendict, importlib.resources.path).
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:conda_lock")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:conda_lock")
def test_lock_check_tells_a_current_lock_from_a_stale_one(tmp_path):
    """The check above, on a lock that conda-lock writes for a copy of environment.yml."""
    from conda_lock.conda_lock import make_lock_spec
    from conda_lock.content_hash import compute_content_hashes
    from conda_lock.lockfile import write_conda_lock_file
    from conda_lock.lockfile.v2prelim.models import Lockfile, LockMeta
    from conda_lock.virtual_package import default_virtual_package_repodata

    environment = tmp_path / "environment.yml"
    environment.write_text((REPO / "environment.yml").read_text())
    mapping = tmp_path / "mapping.json"
    mapping.write_text("{}")
    spec = make_lock_spec(
        src_files=[environment], platform_overrides=PLATFORMS, mapping_url=str(mapping)
    )
    with default_virtual_package_repodata(cuda_version="default") as virtual_packages:
        hashes = compute_content_hashes(spec, virtual_packages)
    meta = LockMeta(
        content_hash=hashes,
        channels=spec.channels,
        platforms=PLATFORMS,
        sources=["environment.yml"],
    )
    lock = tmp_path / "conda-lock.yml"
    write_conda_lock_file(Lockfile(package=[], metadata=meta), lock, metadata_choices=set())

    assert stale_platforms(lock, environment, tmp_path) == []
    environment.write_text(environment.read_text().replace("xgboost >=2.1", "xgboost >=3.0"))
    assert stale_platforms(lock, environment, tmp_path) == PLATFORMS
