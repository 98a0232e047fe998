"""``course check-code``: find calls in a student's code that today's libraries removed or
deprecated, say what to write instead, and rewrite the safe, mechanical cases.

The rules are a table (:mod:`course.check_code.rules`), the matching and rewriting an engine
(:mod:`course.check_code.engine`), reading files and notebooks its own module
(:mod:`course.check_code.sources`); this module ties them together and renders the report.
"""

from __future__ import annotations

import json
import os

from course.check_code.engine import FileReport, Finding, check_source
from course.check_code.rules import ERROR, RULES, WARNING
from course.check_code.sources import discover, load

__all__ = ["RULES", "FileReport", "Finding", "check_paths", "render", "to_json"]


def check_paths(paths: list[str | os.PathLike]) -> list[FileReport]:
    return [check_source(load(path)) for path in discover(paths)]


def findings(reports: list[FileReport]) -> list[Finding]:
    return [finding for report in reports for finding in report.findings]


def has_errors(reports: list[FileReport]) -> bool:
    return any(f.severity == ERROR for f in findings(reports))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(reports: list[FileReport]) -> str:
    found = findings(reports)
    files = _count(len(reports), "file")
    if not found:
        return f"No removed or deprecated calls found in {files}."
    lines = []
    for severity, heading in (
        (ERROR, "Errors (will not run):"),
        (WARNING, "Warnings (deprecated):"),
    ):
        group = [f for f in found if f.severity == severity]
        if group:
            lines.append(heading)
            lines.extend(f"  {f.describe()}" for f in group)
    errors = sum(f.severity == ERROR for f in found)
    summary = f"{_count(errors, 'error')}, {_count(len(found) - errors, 'warning')} in {files}."
    fixable = sum(f.fixable for f in found)
    if fixable:
        summary += (
            f" {fixable} can be rewritten safely: see the rewrite with --diff, apply it with --fix."
        )
    lines.append(summary)
    return "\n".join(lines)


def to_json(reports: list[FileReport]) -> str:
    found = findings(reports)
    errors = sum(f.severity == ERROR for f in found)
    return json.dumps(
        {
            "files": [report.source.shown for report in reports],
            "errors": errors,
            "warnings": len(found) - errors,
            "findings": [f.to_dict() for f in found],
        },
        indent=2,
    )


def diff(reports: list[FileReport]) -> str:
    return "".join(report.diff() for report in reports)


def apply_fixes(reports: list[FileReport]) -> list[str]:
    """Write the safe rewrites; the files changed, as shown."""
    changed = []
    for report in reports:
        texts = report.fixed_texts()
        if texts:
            report.source.write(texts)
            changed.append(report.source.shown)
    return changed
