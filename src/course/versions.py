"""What the course requires, and whether the installed packages satisfy it.

The requirements come from the kit's ``pyproject.toml`` when it sits next to the package (an
editable install from a clone: that file is the newest spec after a ``git pull``), otherwise
from the installed distribution's metadata. ``packaging`` does the comparing when it is
importable (JupyterLab and ipykernel depend on it); a small fallback handles the plain
``name>=1.2`` specifiers this kit uses, so the doctor still runs in a broken environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "exp-tracking-course"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_CLAUSE = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.*+!-]*)\s*$")


@dataclass
class PackageState:
    name: str
    requirement: str  # as written in the spec, e.g. "xgboost>=2.1"
    installed: str | None  # installed version, None when missing
    ok: bool


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def kit_pyproject() -> Path | None:
    """The pyproject.toml of a source checkout this package was installed from, if any."""
    candidate = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if candidate.is_file() and f'name = "{DISTRIBUTION}"' in candidate.read_text("utf-8"):
        return candidate
    return None


def requirements_from_pyproject(path: Path, extra: str = "lessons") -> list[str]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: parse the two arrays we need by hand
        return _requirements_from_toml_text(path.read_text("utf-8"), extra)
    project = tomllib.loads(path.read_text("utf-8")).get("project", {})
    core = list(project.get("dependencies", []))
    return core + list(project.get("optional-dependencies", {}).get(extra, []))


def _requirements_from_toml_text(text: str, extra: str) -> list[str]:
    found = []
    for key in ("dependencies", extra):
        match = re.search(rf"(?m)^{re.escape(key)}\s*=\s*\[(.*?)\]", text, re.S)
        if match:
            found += re.findall(r'"([^"]+)"', match.group(1))
    return found


def requirements_from_metadata(extra: str = "lessons") -> list[str]:
    """Requirements of the installed kit: core ones plus those of ``extra``."""
    found = []
    for line in metadata.requires(DISTRIBUTION) or []:
        requirement, _, marker = line.partition(";")
        marker = marker.strip()
        if not marker or re.search(rf"""extra\s*==\s*['"]{re.escape(extra)}['"]""", marker):
            found.append(requirement.strip())
    return found


def course_requirements(spec: str | Path | None = None, extra: str = "lessons") -> list[str]:
    """What the course needs: from ``spec``, else the checkout's pyproject, else metadata."""
    path = Path(spec) if spec else kit_pyproject()
    if path is not None:
        return requirements_from_pyproject(path, extra)
    return requirements_from_metadata(extra)


def check_requirements(requirements: list[str]) -> list[PackageState]:
    states = []
    for requirement in requirements:
        name, specifier = split_requirement(requirement)
        if canonical(name) == DISTRIBUTION:
            continue  # the kit requiring its own extra, e.g. "exp-tracking-course[lessons]"
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            states.append(PackageState(name, requirement, None, False))
            continue
        states.append(PackageState(name, requirement, installed, satisfies(installed, specifier)))
    return states


def split_requirement(requirement: str) -> tuple[str, str]:
    """``"xgboost[scikit-learn]>=2.1"`` -> ``("xgboost", ">=2.1")``."""
    match = _NAME.match(requirement.partition(";")[0])
    if not match:
        raise ValueError(f"cannot read the requirement {requirement!r}")
    return match.group(1), match.group(3).strip()


def satisfies(version: str, specifier: str) -> bool:
    if not specifier:
        return True
    try:
        from packaging.specifiers import SpecifierSet
        from packaging.version import Version
    except ImportError:
        return _satisfies_fallback(version, specifier)
    return SpecifierSet(specifier).contains(Version(version), prereleases=True)


def _release(version: str) -> tuple[int, ...]:
    numbers = re.match(r"^\s*v?(\d+(?:\.\d+)*)", version)
    parts = [int(part) for part in numbers.group(1).split(".")] if numbers else [0]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # 2.1.0 == 2.1
    return tuple(parts)


def _satisfies_fallback(version: str, specifier: str) -> bool:
    have = _release(version)
    for clause in specifier.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            return True  # an exotic specifier: do not claim a mismatch we cannot prove
        operator, wanted_text = match.groups()
        wanted = _release(wanted_text)
        if operator == "~=":
            prefix = wanted[:-1] if len(wanted) > 1 else wanted
            ok = have >= wanted and have[: len(prefix)] == prefix
        else:
            ok = {
                "==": have == wanted,
                "!=": have != wanted,
                "<=": have <= wanted,
                ">=": have >= wanted,
                "<": have < wanted,
                ">": have > wanted,
            }[operator]
        if not ok:
            return False
    return True
