"""How the doctor reads the course's requirements and compares versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from course import versions

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("version", "specifier"),
    [
        ("3.2.0", ">=2.1"),
        ("2.1", ">=2.1.0"),
        ("1.6.1", ">=1.4,<2"),
        ("0.2.7", "==0.2.7"),
        ("2.2.3", "~=2.2"),
        ("5.24.1", "!=5.0"),
    ],
)
def test_satisfied_specifiers_agree_with_packaging(version, specifier):
    assert versions.satisfies(version, specifier)
    assert versions._satisfies_fallback(version, specifier)


@pytest.mark.parametrize(
    ("version", "specifier"),
    [("2.0.3", ">=2.1"), ("2.0", ">2.0"), ("3.0", "<3"), ("1.9", "~=2.2"), ("5.0", "!=5.0")],
)
def test_unsatisfied_specifiers_agree_with_packaging(version, specifier):
    assert not versions.satisfies(version, specifier)
    assert not versions._satisfies_fallback(version, specifier)


def test_requirements_come_from_the_checkouts_pyproject():
    requirements = versions.course_requirements(REPO / "pyproject.toml")
    names = {versions.split_requirement(r)[0] for r in requirements}
    assert {"xgboost", "jupyterlab", "click"} <= names  # the lessons extra plus core deps
    assert "pytest" not in names  # the dev extra is not a student's concern


def test_pyproject_without_tomllib_reads_the_same_requirements():
    text = (REPO / "pyproject.toml").read_text()
    assert versions._requirements_from_toml_text(text, "lessons") == (
        versions.requirements_from_pyproject(REPO / "pyproject.toml")
    )


def test_installed_metadata_lists_the_lessons_extra():
    from_metadata = {
        versions.split_requirement(r)[0] for r in versions.requirements_from_metadata()
    }
    assert {"xgboost", "papermill", "click"} <= from_metadata
    assert "pytest" not in from_metadata


def test_missing_and_outdated_packages_are_reported():
    states = versions.check_requirements(["course-missing-example>=1", "pip>=9999", "pip"])
    assert [(s.name, s.installed is None, s.ok) for s in states] == [
        ("course-missing-example", True, False),
        ("pip", False, False),
        ("pip", False, True),
    ]
