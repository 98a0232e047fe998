"""What every test leaves behind: the environment it found.

Real MLflow exports ``set_tracking_uri`` and ``set_experiment`` as ``MLFLOW_TRACKING_URI`` and
``MLFLOW_EXPERIMENT_ID``; a server or CLI started by a later test inherits them and opens the
wrong store. ``monkeypatch.delenv`` of an unset variable records nothing to restore, so the
variables are put back here, after every test, whoever set them.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _environment_restored():
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)
