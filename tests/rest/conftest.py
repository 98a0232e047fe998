"""A clean process state per test; the real ``mlflow server`` is tests/conftest.py's
``mlflow_server``, shared by the session, so every test works in an experiment of its own."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _fresh_process_state(fresh_tracker):
    """Each test in a folder of its own, with no tracking URI or credentials set."""


@pytest.fixture
def experiment_name() -> str:
    """A name no other test on the shared server uses."""
    return f"exp-{uuid.uuid4().hex[:10]}"
