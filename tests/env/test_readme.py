"""The README starts with the two commands, and CI runs exactly the second one."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def first_code_block() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```[a-z]*\n(.*?)```", text, re.S)
    assert block, "README.md has no code block"
    assert text.index("```") < 200, "the commands must be the README's first lines"
    return block.group(1).strip().splitlines()


def test_readme_opens_with_setup_and_lessons_then_tests():
    assert first_code_block() == [
        "python3 scripts/setup_env.py && .venv/bin/course lessons",
        "python3 scripts/setup_env.py --dev && .venv/bin/python -m pytest",
    ]


def test_ci_runs_the_readme_test_command_exactly():
    test_command = first_code_block()[1]
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_says_which_setup_path_ci_executes():
    text = (REPO / "README.md").read_text()
    assert "**CI executes the venv path**" in text
    assert "**The conda path is not executed in CI**" in text
