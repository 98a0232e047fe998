"""The module-level API (``mlflow.start_run``, ``mlflow.log_metric``, ...).

Keeps the active-run stack (per thread, like MLflow 3) and the active
experiment; every call goes through an ``MlflowClient`` for the current
tracking URI.
"""

from __future__ import annotations

import os
import threading
import time

from minitrack import context, validation
from minitrack.artifacts.paths import read_path
from minitrack.client import MlflowClient
from minitrack.entities import (
    Experiment,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from minitrack.exceptions import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    MinitrackException,
)
from minitrack.uris import append_path, get_tracking_uri, is_tracking_uri_set, set_tracking_uri


def _logger():
    import logging  # only when there is something to say

    return logging.getLogger(__name__)


SEARCH_MAX_RESULTS_PANDAS = 100000

__all__ = [
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
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
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]


class _RunStack(threading.local):
    def __init__(self) -> None:
        self.runs: list[ActiveRun] = []


_stack = _RunStack()
_last_active_run_id: str | None = None
# The experiment chosen by set_experiment, remembered with the tracking URI it belongs to.
_active_experiment: tuple[str, str] | None = None
_clients: dict[tuple[str, str], MlflowClient] = {}


def _cwd() -> str:
    try:
        return os.getcwd()
    except FileNotFoundError:  # the working folder was removed under us
        return ""


def _client() -> MlflowClient:
    key = (get_tracking_uri(), _cwd())
    client = _clients.get(key)
    if client is None:
        if len(_clients) >= 8:  # a notebook or test session may visit many folders
            _clients.pop(next(iter(_clients)))
        client = _clients[key] = MlflowClient(key[0])
    return client


class ActiveRun(Run):
    """The run ``start_run`` returns; ``with`` ends it (FINISHED, FAILED or KILLED)."""

    __slots__ = ()

    def __init__(self, run: Run) -> None:
        super().__init__(run.info, run.data, run.inputs)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> bool:
        if any(r.info.run_id == self.info.run_id for r in _stack.runs):
            if exc_type is None:
                status = "FINISHED"
            elif issubclass(exc_type, KeyboardInterrupt):
                status = "KILLED"
            else:
                status = "FAILED"
            # End this run and any nested ones still open inside it.
            while _stack.runs and any(r.info.run_id == self.info.run_id for r in _stack.runs):
                end_run(status)
        return exc_type is None


# -- tracking URI and experiments ---------------------------------------------------------


def _experiment_id() -> str:
    if _active_experiment is not None and _active_experiment[0] == get_tracking_uri():
        return _active_experiment[1]
    env_id = os.environ.get("MLFLOW_EXPERIMENT_ID")
    if env_id:
        return env_id
    env_name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    if env_name:
        exp = _client().get_experiment_by_name(env_name)
        if exp is None:
            raise MinitrackException(
                f"MLFLOW_EXPERIMENT_NAME is '{env_name}', but no experiment has that name. "
                "Create it with set_experiment(...) or unset the variable."
            )
        return exp.experiment_id
    return "0"


def _get_or_create_experiment(client: MlflowClient, name: str) -> Experiment:
    """The experiment called ``name``, created if missing (another process may race us)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment
    _logger().info("Experiment with name '%s' does not exist. Creating a new experiment.", name)
    try:
        return client.get_experiment(client.create_experiment(name))
    except MinitrackException as e:
        if e.error_code != RESOURCE_ALREADY_EXISTS:
            raise
        return client.get_experiment_by_name(name)  # another process created it first


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment active (created if the name is new) and return it."""
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise MinitrackException(
            "Must specify exactly one of: `experiment_id` or `experiment_name`."
        )
    client = _client()
    if experiment_id is not None:
        experiment = client.get_experiment(experiment_id)
    else:
        experiment = _get_or_create_experiment(client, experiment_name)
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise MinitrackException(_deleted_experiment_message(experiment), INVALID_PARAMETER_VALUE)
    _active_experiment = (get_tracking_uri(), experiment.experiment_id)
    return experiment


def _deleted_experiment_message(experiment: Experiment) -> str:
    """MLflow's words, then the exact commands that fix it, runnable from any folder."""
    import shlex

    from minitrack.uris import db_path_from_uri

    uri = get_tracking_uri()
    try:
        path = db_path_from_uri(uri)
        uri = uri if path == ":memory:" else "sqlite:///" + path.replace(os.sep, "/")
    except MinitrackException:
        pass  # a server URI is shown as it is
    where = f"--tracking-uri {shlex.quote(uri)}"
    return (
        f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. "
        "You can restore the experiment, or permanently delete the experiment to create a "
        f"new one: `minitrack experiments restore {shlex.quote(experiment.name)} {where}` "
        f"brings it back with its runs; `minitrack gc --experiment-ids "
        f"{experiment.experiment_id} {where}` shows what deleting it for good removes (add "
        "--yes to do it)."
    )


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict | None = None
) -> str:
    return _client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return _client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return _client().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    _client().delete_experiment(experiment_id)


def search_experiments(
    view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
) -> list[Experiment]:
    return list(_client().search_experiments(view_type, max_results, filter_string, order_by, None))


def set_experiment_tag(key: str, value) -> None:
    _client().set_experiment_tag(_experiment_id(), key, value)


def set_experiment_tags(tags: dict) -> None:
    # All checked before the first is set, so a bad tag leaves the experiment unchanged.
    items = [validation.experiment_tag(k, v) for k, v in validation.mapping_items(tags, "tags")]
    for key, value in items:
        set_experiment_tag(key, value)


# -- runs ---------------------------------------------------------------------------------


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run (or resume ``run_id``) and make it the active run."""
    runs = _stack.runs
    if runs and not nested:
        raise MinitrackException(
            f"Run with UUID {runs[0].info.run_id} is already active. To start a new run, "
            "first end the current run with mlflow.end_run(). To start a nested run, call "
            "start_run with nested=True"
        )
    client = _client()
    user_tags = {str(k): v for k, v in validation.mapping_items(tags, "tags")}
    if description:
        if context.MLFLOW_RUN_NOTE in user_tags:
            raise MinitrackException(
                f"Description is already set via the tag {context.MLFLOW_RUN_NOTE} in tags. "
                f"Remove the key {context.MLFLOW_RUN_NOTE} from the tags or omit the description."
            )
        user_tags[context.MLFLOW_RUN_NOTE] = description
    # Every tag checked before anything is written: a resumed run must not be left RUNNING
    # by a call that then refuses one of its tags.
    for i, (key, value) in enumerate(user_tags.items()):
        validation.validate_key("Tag", key, f"tags[{i}].key")
        validation.tag_value(key, str(value))
    run_id = run_id or os.environ.pop("MLFLOW_RUN_ID", None)
    if run_id:
        existing = client.get_run(run_id)
        if existing.info.lifecycle_stage == LifecycleStage.DELETED:
            raise MinitrackException(
                f"Cannot start run with ID {run_id} because it is in the deleted state. "
                "Restore it with MlflowClient().restore_run(run_id) first."
            )
        client.update_run(run_id, "RUNNING", run_name)
        if user_tags:
            client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in user_tags.items()])
        active = client.get_run(run_id)
    else:
        if parent_run_id:
            if runs and parent_run_id != runs[-1].info.run_id:
                current = runs[-1].info.run_id
                raise MinitrackException(
                    f"Current run with UUID {current} does not match the specified "
                    f"parent_run_id {parent_run_id}. To start a new nested run under the parent "
                    f"run with UUID {current}, first end the current run with mlflow.end_run()."
                )
            parent = client.get_run(parent_run_id)
            if parent.info.lifecycle_stage == LifecycleStage.DELETED:
                raise MinitrackException(
                    f"Cannot start run under parent run with ID {parent_run_id} "
                    "because it is in the deleted state."
                )
        elif runs:
            parent_run_id = runs[-1].info.run_id
        if parent_run_id is not None:
            user_tags[context.MLFLOW_PARENT_RUN_ID] = parent_run_id
        if run_name:
            user_tags[context.MLFLOW_RUN_NAME] = run_name
        resolved = context.system_tags()
        resolved.update(user_tags)
        exp_id = experiment_id if experiment_id is not None else _experiment_id()
        active = client.create_run(exp_id, tags=resolved, run_name=run_name or None)
    run = ActiveRun(active)
    runs.append(run)
    return run


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run (no-op when none is active)."""
    global _last_active_run_id
    runs = _stack.runs
    if not runs:
        return
    RunStatus.from_string(status)
    run = runs.pop()
    _last_active_run_id = run.info.run_id
    _client().set_terminated(run.info.run_id, status)


def active_run() -> ActiveRun | None:
    return _stack.runs[-1] if _stack.runs else None


def last_active_run() -> Run | None:
    """The active run, else the most recently ended one in this process, fetched fresh."""
    if _stack.runs:
        return get_run(_stack.runs[-1].info.run_id)
    if _last_active_run_id is None:
        return None
    return get_run(_last_active_run_id)


def get_run(run_id: str) -> Run:
    return _client().get_run(run_id)


def delete_run(run_id: str) -> None:
    _client().delete_run(run_id)


def _run_id_or_active(run_id: str | None = None) -> str:
    if run_id is not None:
        return run_id
    if _stack.runs:
        return _stack.runs[-1].info.run_id
    return start_run().info.run_id  # like MLflow: logging without a run starts one


# -- logging ------------------------------------------------------------------------------


def log_param(key: str, value, synchronous: bool | None = None):
    return _client().log_param(_run_id_or_active(), key, value)


def log_params(params: dict, synchronous: bool | None = None, run_id: str | None = None) -> None:
    items = validation.mapping_items(params, "params")
    run_id = _run_id_or_active(run_id)
    _client().log_batch(run_id, params=[Param(str(k), v) for k, v in items])


def log_metric(
    key: str,
    value,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    **_ignored,
) -> None:
    _client().log_metric(_run_id_or_active(run_id), key, value, timestamp, step)


def log_metrics(
    metrics: dict,
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    **_ignored,
) -> None:
    items = validation.mapping_items(metrics, "metrics")
    run_id = _run_id_or_active(run_id)
    ts = time.time_ns() // 1_000_000 if timestamp is None else timestamp
    _client().log_batch(
        run_id, metrics=[Metric(k, v, ts, 0 if step is None else step) for k, v in items]
    )


def set_tag(key: str, value, synchronous: bool | None = None) -> None:
    _client().set_tag(_run_id_or_active(), key, value)


def set_tags(tags: dict, synchronous: bool | None = None) -> None:
    items = validation.mapping_items(tags, "tags")
    run_id = _run_id_or_active()
    _client().log_batch(run_id, tags=[RunTag(str(k), v) for k, v in items])


def delete_tag(key: str) -> None:
    _client().delete_tag(_run_id_or_active(), key)


def log_artifact(local_path: str, artifact_path: str | None = None, run_id: str | None = None):
    _client().log_artifact(_run_id_or_active(run_id), local_path, artifact_path)


def log_artifacts(local_dir: str, artifact_path: str | None = None, run_id: str | None = None):
    _client().log_artifacts(_run_id_or_active(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_run_id_or_active(run_id), text, artifact_file)


def log_dict(dictionary, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_dict(_run_id_or_active(run_id), dictionary, artifact_file)


def log_figure(
    figure, artifact_file: str, *, save_kwargs: dict | None = None, run_id: str | None = None
) -> None:
    _client().log_figure(_run_id_or_active(run_id), figure, artifact_file, save_kwargs=save_kwargs)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The active run's artifact URI, or that of ``artifact_path`` inside it."""
    run_id = _run_id_or_active()
    base = _client().get_run(run_id).info.artifact_uri
    return append_path(base, read_path(artifact_path, "artifact_path")) if artifact_path else base


# -- search -------------------------------------------------------------------------------


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str = "",
    run_view_type: int = ViewType.ACTIVE_ONLY,
    max_results: int = SEARCH_MAX_RESULTS_PANDAS,
    order_by: list[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: list[str] | None = None,
):
    """Runs matching a filter, as a pandas DataFrame (default) or a list of Run."""
    if output_format not in ("pandas", "list"):
        raise MinitrackException(
            f"Unsupported output format: {output_format}. Supported string values are "
            "'pandas' or 'list'"
        )
    if experiment_ids and experiment_names:
        raise MinitrackException(
            "Only experiment_ids or experiment_names can be used, but not both"
        )
    for name, value in (("experiment_ids", experiment_ids), ("experiment_names", experiment_names)):
        if value is not None and not isinstance(value, (list, tuple)):
            raise MinitrackException(
                f"{name} must be a list, got {type(value).__name__}. "
                f"Did you mean to use {name}=[{value!r}]?"
            )
    client = _client()
    if search_all_experiments and not experiment_ids and not experiment_names:
        active = client.search_experiments(ViewType.ACTIVE_ONLY, max_results=None)
        ids = [e.experiment_id for e in active]
    elif experiment_names:
        ids = []
        for name in experiment_names:
            exp = client.get_experiment_by_name(name)
            if exp is None:
                _logger().warning("Cannot retrieve experiment by name %s", name)
            else:
                ids.append(exp.experiment_id)
    elif experiment_ids:
        ids = list(experiment_ids)
    else:
        ids = [_experiment_id()]
    if output_format == "list":
        return client.search_all_runs(ids, filter_string, run_view_type, max_results, order_by)
    from minitrack.frames import runs_frame

    columns = client.search_runs_columns(ids, filter_string, run_view_type, max_results, order_by)
    return runs_frame(columns)


# -- model registry ----------------------------------------------------------------------


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = 300,
    *,
    tags: dict | None = None,
):
    """Register the model at ``model_uri`` as a new version of ``name`` (created if new).

    As in MLflow 3, ``runs:/<run_id>/<path>`` finds the logged model that log_model wrote
    there and records ``models:/m-<id>`` as the version's source. Everything is checked
    before the registry changes, so a bad URI leaves no empty registered model behind.
    Returns the new ModelVersion (READY at once: a local registry copies nothing).
    """
    return _client()._register_model(model_uri, name, tags)
