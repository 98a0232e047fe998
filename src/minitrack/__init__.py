"""minitrack: MLflow's tracking API on a SQLite file and an artifact folder.

``import minitrack as mlflow`` gives the names MLflow users know. Heavy parts
(pandas, model flavours, autologging, the web UI) load on first use only.
"""

from __future__ import annotations

import importlib

from minitrack import entities, exceptions, tracking
from minitrack.client import MlflowClient
from minitrack.exceptions import MinitrackException, MlflowException
from minitrack.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_run,
    delete_tag,
    end_run,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    get_run,
    get_tracking_uri,
    is_tracking_uri_set,
    last_active_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    log_text,
    register_model,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)

__version__ = "0.1.0"

# Submodules that pull in heavy libraries: imported on first attribute access.
_LAZY_MODULES = ("sklearn", "xgboost", "pyfunc", "models", "artifacts", "search", "server")


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"minitrack.{name}")
        globals()[name] = module
        return module
    if name == "autolog":
        module = importlib.import_module("minitrack.autolog")
        func = getattr(module, "autolog", module)
        globals()["autolog"] = func
        return func
    raise AttributeError(f"module 'minitrack' has no attribute {name!r}")


__all__ = [
    "ActiveRun",
    "MinitrackException",
    "MlflowClient",
    "MlflowException",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "entities",
    "exceptions",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "is_tracking_uri_set",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
    "tracking",
]
