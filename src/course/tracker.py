"""Pick the tracker by name: ``minitrack`` (the course's own) or ``mlflow`` (MLflow itself).

The lessons spell this out themselves (``import minitrack as mlflow``); the runner and the
tests use :func:`load` to read the same store from outside a notebook.
"""

from __future__ import annotations

import importlib

TRACKERS = ("minitrack", "mlflow")


def load(name: str):
    """The tracker module called ``name``; both expose MLflow's API."""
    if name not in TRACKERS:
        raise ValueError(f"tracker must be one of {', '.join(TRACKERS)}; got {name!r}.")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        hint = (
            "MLflow comes with the development extra: pip install -e '.[dev]'."
            if name == "mlflow"
            else "Re-run the setup script."
        )
        raise ValueError(f"cannot import {name} ({exc}). {hint}") from exc


def count_runs(name: str, tracking_uri: str) -> int:
    """How many runs the store at ``tracking_uri`` holds, over all experiments."""
    module = load(name)
    client = module.MlflowClient(tracking_uri=tracking_uri)
    total = 0
    for experiment in client.search_experiments():
        token = None
        while True:
            page = client.search_runs(
                [experiment.experiment_id], max_results=1000, page_token=token
            )
            total += len(page)
            token = page.token
            if not token:
                break
    return total
