"""``MlflowClient``: the explicit tracking API, with MLflow's names, arguments and defaults.

Every method takes ids explicitly (no active run). Values are validated here,
before the store is touched, so a rejected call changes nothing.
"""

from __future__ import annotations

import json
import os
import time

from minitrack import validation
from minitrack.artifacts.runs import ArtifactRepository, run_repository
from minitrack.context import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME, MLFLOW_USER
from minitrack.entities import (
    Experiment,
    FileInfo,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from minitrack.exceptions import MinitrackException
from minitrack.store import ExperimentActivity, RunColumns, get_store
from minitrack.uris import get_tracking_uri

SEARCH_MAX_RESULTS_DEFAULT = 1000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _encode_token(offset: int) -> str:
    import base64

    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    import base64

    try:
        offset = json.loads(base64.b64decode(token))["offset"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except Exception:
        pass
    raise MinitrackException(
        f"Invalid page_token {token!r}: pass the token of a previous page's result (.token)."
    )


class MlflowClient:
    """Client of a tracking store (``tracking_uri`` defaults to the current one).

    The one place that validates: every argument is checked here, before the store is
    called, and the store trusts what it is given. The store itself is private; the
    fluent API, the CLI and the web UI all come through these methods.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        registry_uri: str | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        """``read_only`` (minitrack's own) is the web UI's client: it never writes, and
        every read sees the store's file as it is on disk now."""
        self._tracking_uri = os.fspath(tracking_uri) if tracking_uri else get_tracking_uri()
        self._store = get_store(self._tracking_uri, read_only=read_only)

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    def describe_store(self) -> str:
        """Which store this client uses, e.g. '/home/ada/mlflow.db'."""
        return self._store.describe()

    # -- experiments ----------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict | None = None
    ) -> str:
        name = validation.experiment_name(name)
        if artifact_location is not None:
            artifact_location = validation.text("artifact_location", os.fspath(artifact_location))
        tag_items = [validation.experiment_tag(k, v) for k, v in _items(tags, "tags")]
        return self._store.create_experiment(name, artifact_location, tag_items)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._store.get_experiment(validation.experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._store.get_experiment_by_name(validation.experiment_name(name))

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        ViewType.stages(view_type)
        if max_results is not None:
            validation.max_results(max_results, validation.MAX_RESULTS_PER_SEARCH)
        offset = _decode_token(page_token)
        found = self._store.search_experiments(
            view_type, max_results, _filter(filter_string), _order_by(order_by), offset
        )
        more = max_results is not None and len(found) == max_results
        return PagedList(found, _encode_token(offset + len(found)) if more else None)

    def delete_experiment(self, experiment_id: str) -> None:
        self._store.delete_experiment(validation.experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._store.restore_experiment(validation.experiment_id(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._store.rename_experiment(
            validation.experiment_id(experiment_id), validation.experiment_name(new_name)
        )

    def set_experiment_tag(self, experiment_id: str, key: str, value) -> None:
        key, value = validation.experiment_tag(key, value)
        self._store.set_experiment_tag(validation.experiment_id(experiment_id), key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        validation.validate_key("Experiment tag", key)
        self._store.delete_experiment_tag(validation.experiment_id(experiment_id), key)

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict | None = None,
        run_name: str | None = None,
    ) -> Run:
        """A new RUNNING run. Unlike the fluent start_run, adds no system tags but the name."""
        exp_id = validation.experiment_id(experiment_id)
        clean = {
            validation.validate_key("Tag", k): validation.tag_value(k, v)
            for k, v in _items(tags, "tags")
        }
        if run_name is not None:
            if not isinstance(run_name, str):
                raise MinitrackException(
                    f"run_name must be a string, got {type(run_name).__name__}."
                )
            run_name = validation.tag_value(MLFLOW_RUN_NAME, run_name)
        tag_name = clean.get(MLFLOW_RUN_NAME)
        if run_name and tag_name and run_name != tag_name:
            raise MinitrackException(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{tag_name}'). "
                "Pass only one of them."
            )
        if start_time is not None:
            start_time = validation.run_time("start_time", start_time)
        user = clean.get(MLFLOW_USER)
        if user is None:
            from minitrack.context import get_user

            user = get_user()
        return self._store.create_run(exp_id, user, start_time, clean, run_name)

    def get_run(self, run_id: str) -> Run:
        return self._store.get_run(validation.run_id(run_id))

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get(MLFLOW_PARENT_RUN_ID)
        return None if parent is None else self.get_run(parent)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        status = _status(status or "FINISHED")
        end = _now_ms() if end_time is None else validation.run_time("end_time", end_time)
        self._store.update_run_info(validation.run_id(run_id), status, end, None)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        run = self.get_run(run_id)
        status = _status(status or run.info.status)
        if name is not None:
            if not isinstance(name, str):
                raise MinitrackException(f"name must be a string, got {type(name).__name__}.")
            name = validation.tag_value(MLFLOW_RUN_NAME, name)
        self._store.update_run_info(run.info.run_id, status, run.info.end_time, name or None)

    def delete_run(self, run_id: str) -> None:
        self._store.delete_run(validation.run_id(run_id))

    def restore_run(self, run_id: str) -> None:
        self._store.restore_run(validation.run_id(run_id))

    # -- logging --------------------------------------------------------------------------

    def log_param(self, run_id: str, key: str, value, synchronous: bool | None = None):
        validation.validate_key("Param", key)
        text = validation.param_value(key, value)
        self._store.log_param(validation.run_id(run_id), key, text)
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        **_ignored,
    ) -> None:
        validation.validate_key("Metric", key)
        number = validation.metric_value(key, value)
        ts = _now_ms() if timestamp is None else validation.metric_timestamp(key, timestamp)
        st = 0 if step is None else validation.metric_step(key, step)
        self._store.log_metric(validation.run_id(run_id), key, number, ts, st)

    def set_tag(self, run_id: str, key: str, value, synchronous: bool | None = None) -> None:
        validation.validate_key("Tag", key)
        self._store.set_tag(validation.run_id(run_id), key, validation.tag_value(key, value))

    def delete_tag(self, run_id: str, key: str) -> None:
        validation.validate_key("Tag", key)
        self._store.delete_tag(validation.run_id(run_id), key)

    def log_batch(
        self,
        run_id: str,
        metrics=(),
        params=(),
        tags=(),
        synchronous: bool | None = None,
    ) -> None:
        """Log lists of Metric, Param and RunTag in one transaction.

        Like MLflow's client, any number of entries is accepted (MLflow splits them into
        requests of at most 1000 entries; a local store writes them in one transaction).
        """
        metrics, params, tags = list(metrics or ()), list(params or ()), list(tags or ())
        now = None
        metric_rows = []
        for i, m in enumerate(metrics):
            if not isinstance(m, Metric):
                raise MinitrackException(
                    f"metrics[{i}] is a {type(m).__name__}; log_batch takes "
                    "minitrack.entities.Metric(key, value, timestamp, step) objects."
                )
            validation.validate_key("Metric", m.key, f"metrics[{i}].key")
            value = validation.metric_value(m.key, m.value)
            if m.timestamp is None:
                now = now or _now_ms()
                ts = now
            else:
                ts = validation.metric_timestamp(m.key, m.timestamp)
            metric_rows.append((m.key, value, ts, validation.metric_step(m.key, m.step)))
        param_rows = _key_value_rows(params, Param, "params", "Param", validation.param_value)
        tag_rows = _key_value_rows(tags, RunTag, "tags", "Tag", validation.tag_value)
        self._store.log_batch(validation.run_id(run_id), metric_rows, param_rows, tag_rows)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        validation.validate_key("Metric", key)
        return self._store.get_metric_history(validation.run_id(run_id), key)

    # -- search ---------------------------------------------------------------------------

    def _search_args(self, experiment_ids, filter_string, run_view_type, order_by):
        """Validated (experiment ids, filter, view type, order_by) of a run search."""
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        ids = [validation.experiment_id(e) for e in experiment_ids]
        ViewType.stages(run_view_type)
        return ids, _filter(filter_string), run_view_type, _order_by(order_by)

    def search_runs(
        self,
        experiment_ids,
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """A page of runs; pass ``result.token`` as ``page_token`` for the next page."""
        validation.max_results(max_results, validation.MAX_RESULTS_PER_SEARCH)
        offset = _decode_token(page_token)
        ids, filter_string, run_view_type, order_by = self._search_args(
            experiment_ids, filter_string, run_view_type, order_by
        )
        runs = (
            self._store.search_runs(
                ids, filter_string, run_view_type, max_results, order_by, offset
            )
            if ids
            else []
        )
        more = len(runs) == max_results
        return PagedList(runs, _encode_token(offset + len(runs)) if more else None)

    # minitrack's own: fluent search_runs asks for up to 100,000 runs in one query (paging
    # with OFFSET would sort the matches again per page), as runs or as DataFrame columns.

    def search_all_runs(
        self, experiment_ids, filter_string="", run_view_type=ViewType.ACTIVE_ONLY,
        max_results=100_000, order_by=None,
    ) -> list[Run]:  # fmt: skip
        validation.max_results(max_results, 2**62)
        args = self._search_args(experiment_ids, filter_string, run_view_type, order_by)
        if not args[0]:
            return []
        return self._store.search_runs(*args[:3], max_results, args[3])

    def search_runs_columns(
        self, experiment_ids, filter_string="", run_view_type=ViewType.ACTIVE_ONLY,
        max_results=100_000, order_by=None,
    ) -> RunColumns:  # fmt: skip
        """The columns of fluent search_runs' DataFrame (see ``minitrack.frames``)."""
        validation.max_results(max_results, 2**62)
        args = self._search_args(experiment_ids, filter_string, run_view_type, order_by)
        if not args[0]:
            return self._store.run_columns([])
        return self._store.search_run_columns(*args[:3], max_results, args[3])

    # -- what the web UI and the CLI read (minitrack's own) ---------------------------------

    def experiment_activity(self, experiment_ids: list[str]) -> dict[str, ExperimentActivity]:
        """Active-run counts and the last activity (ms) of these experiments."""
        return self._store.experiment_activity(
            [validation.experiment_id(e) for e in experiment_ids]
        )

    def run_keys(self, experiment_id: str) -> dict[str, list[str]]:
        """The metric, param and tag keys logged by an experiment's active runs."""
        return self._store.run_keys(validation.experiment_id(experiment_id))

    def search_run_page(
        self,
        experiment_ids: list[str],
        filter_string: str = "",
        order_by: list[str] | None = None,
        limit: int = 50,
        offset: int = 0,
        run_view_type: int = ViewType.ACTIVE_ONLY,
    ) -> tuple[list[Run], int]:
        """One page of the runs table, and how many runs match in all."""
        ids = [validation.experiment_id(e) for e in experiment_ids]
        ViewType.stages(run_view_type)
        validation.max_results(limit, validation.MAX_RESULTS_PER_SEARCH)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise MinitrackException(f"offset must be a whole number >= 0, got {offset!r}.")
        run_ids, total = self._store.search_run_page(
            ids, _filter(filter_string), run_view_type, _order_by(order_by), limit, offset
        )
        return self._store.load_runs(run_ids), total

    def load_runs(self, run_ids: list[str]) -> list[Run]:
        """These runs, in this order; unknown ids are left out."""
        return self._store.load_runs([validation.run_id(r) for r in run_ids])

    def get_metric_histories(self, run_ids: list[str], key: str) -> dict[str, list[Metric]]:
        """Every value of metric ``key`` for each of these runs."""
        validation.validate_key("Metric", key)
        return self._store.metric_histories([validation.run_id(r) for r in run_ids], key)

    # -- artifacts ------------------------------------------------------------------------

    def _artifacts(self, run_id: str) -> ArtifactRepository:
        return run_repository(self._store, validation.run_id(run_id))

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        self._artifacts(run_id).log_file(local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self._artifacts(run_id).log_folder(local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        if not isinstance(text, str):
            raise MinitrackException(
                f"log_text takes a str, got {type(text).__name__}; use log_dict for dicts."
            )
        data = validation.text(f"text of {artifact_file!r}", text).encode("utf-8")
        self._artifacts(run_id).write_bytes(artifact_file, data)

    def log_dict(self, run_id: str, dictionary, artifact_file: str) -> None:
        """JSON, or YAML when ``artifact_file`` ends in .yaml/.yml (like MLflow)."""
        if isinstance(artifact_file, str) and artifact_file.endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dictionary, default_flow_style=False, sort_keys=False)
        else:
            try:
                text = json.dumps(dictionary, indent=2)
            except (TypeError, ValueError) as e:
                raise MinitrackException(
                    f"log_dict could not write {artifact_file!r} as JSON: {e}. "
                    "Convert the values to str, int, float, list or dict first."
                ) from None
        self.log_text(run_id, text, artifact_file)

    def log_figure(
        self, run_id: str, figure, artifact_file: str, *, save_kwargs: dict | None = None
    ) -> None:
        """Save a matplotlib or plotly figure as ``artifact_file`` (format from its suffix)."""
        from minitrack.figures import figure_bytes

        data = figure_bytes(figure, artifact_file, save_kwargs)
        self._artifacts(run_id).write_bytes(artifact_file, data)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self._artifacts(run_id).list(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return self._artifacts(run_id).download(path, dst_path)

    def artifact_local_path(self, run_id: str, path: str | None = None) -> str:
        """minitrack's own: the local file or folder of a run's artifact, checked inside it."""
        return self._artifacts(run_id).local_path(path)

    def get_run_info(self, run_id: str) -> RunInfo:
        return self.get_run(run_id).info

    # Deprecated MLflow 1.x spelling some course material still uses.
    def list_experiments(self, view_type: int = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        return list(self.search_experiments(view_type=view_type, max_results=None))


def _items(mapping, name: str):
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise MinitrackException(
            f"{name} must be a dict of key to value, got {type(mapping).__name__}."
        )
    return list(mapping.items())


def _status(status) -> str:
    if not isinstance(status, str):
        status = RunStatus.to_string(status)
    RunStatus.from_string(status)
    return status


def _filter(filter_string) -> str:
    if filter_string is None:
        return ""
    if not isinstance(filter_string, str):
        raise MinitrackException(
            f"filter_string must be a str, got {type(filter_string).__name__}, e.g. "
            '"metrics.rmse < 8".'
        )
    return validation.text("filter_string", filter_string)


def _order_by(order_by) -> list[str] | None:
    if order_by is None:
        return None
    if isinstance(order_by, str) or not isinstance(order_by, (list, tuple)):
        raise MinitrackException(
            f"order_by must be a list of str, got {type(order_by).__name__}, e.g. "
            '["metrics.rmse ASC"].'
        )
    return [validation.text("order_by", c) if isinstance(c, str) else c for c in order_by]


def _key_value_rows(items, entity, name: str, kind: str, check_value) -> list[tuple[str, str]]:
    """Validated ``(key, value)`` rows of log_batch's params or tags, naming any bad entry."""
    rows = []
    for i, item in enumerate(items):
        if not isinstance(item, entity):
            raise MinitrackException(
                f"{name}[{i}] is a {type(item).__name__}; log_batch takes "
                f"minitrack.entities.{entity.__name__}(key, value) objects."
            )
        validation.validate_key(kind, item.key, f"{name}[{i}].key")
        rows.append((item.key, check_value(item.key, item.value)))
    return rows
