"""``MlflowClient``: the explicit tracking API, with MLflow's names, arguments and defaults.

Every method takes ids explicitly (no active run). Values are validated here,
before the store is touched, so a rejected call changes nothing.
"""

from __future__ import annotations

import json
import os
import time

from minitrack import artifacts as _artifacts
from minitrack import validation
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
from minitrack.store import get_store
from minitrack.uris import get_tracking_uri

SEARCH_MAX_RESULTS_DEFAULT = 1000


_FILE_CHECK_INTERVAL_S = 0.25


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
    """Client of a tracking store (``tracking_uri`` defaults to the current one)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._tracking_uri = os.fspath(tracking_uri) if tracking_uri else get_tracking_uri()
        self._store = get_store(self._tracking_uri)
        self._next_file_check = 0.0

    @property
    def tracking_uri(self) -> str:
        return self._tracking_uri

    @property
    def store(self):
        """The underlying SqliteStore (read-only helpers such as the UI use it).

        Re-resolved when its file was deleted, so a long-lived client never writes
        into an unlinked file.
        """
        if not self._store.file_exists():  # same file (absolute path), opened afresh
            self._store = get_store(f"sqlite:///{self._store.db_path}")
        return self._store

    def _logging_store(self):
        """``store`` for the per-value calls, checking the file at most every 0.25 s.

        The check is a stat, a tenth of a ``log_metric``; a training loop makes thousands of
        calls, and a deleted file is still noticed within a quarter of a second.
        """
        now = time.monotonic()
        if now < self._next_file_check:
            return self._store
        self._next_file_check = now + _FILE_CHECK_INTERVAL_S
        return self.store

    # -- experiments ----------------------------------------------------------------------

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict | None = None
    ) -> str:
        return self.store.create_experiment(name, artifact_location, tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int | None = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        if max_results is not None:
            validation.max_results(max_results, validation.MAX_RESULTS_PER_SEARCH)
        offset = _decode_token(page_token)
        found = self.store.search_experiments(
            view_type, max_results, filter_string, order_by, offset
        )
        more = max_results is not None and len(found) == max_results
        return PagedList(found, _encode_token(offset + len(found)) if more else None)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(experiment_id)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self.store.rename_experiment(experiment_id, new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value) -> None:
        self.store.set_experiment_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(experiment_id, key)

    # -- runs -----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict | None = None,
        run_name: str | None = None,
    ) -> Run:
        """A new RUNNING run. Unlike the fluent start_run, adds no system tags but the name."""
        clean = {
            validation.validate_key("Tag", k): validation.tag_value(k, v)
            for k, v in (tags or {}).items()
        }
        if run_name is not None and not isinstance(run_name, str):
            raise MinitrackException(f"run_name must be a string, got {type(run_name).__name__}.")
        user = clean.get("mlflow.user")
        if user is None:
            from minitrack.context import get_user

            user = get_user()
        return self.store.create_run(experiment_id, user, start_time, clean, run_name)

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return None if parent is None else self.get_run(parent)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        status = status or "FINISHED"
        RunStatus.from_string(status)
        self.store.update_run_info(
            validation.run_id(run_id), status, _now_ms() if end_time is None else end_time
        )

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        run = self.get_run(run_id)
        status = status or run.info.status
        RunStatus.from_string(status)
        self.store.update_run_info(run_id, status, run.info.end_time, name)

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(run_id)

    # -- logging --------------------------------------------------------------------------

    def log_param(self, run_id: str, key: str, value, synchronous: bool | None = None):
        validation.validate_key("Param", key)
        text = validation.param_value(key, value)
        self._logging_store().log_param(validation.run_id(run_id), key, text)
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
        self._logging_store().log_metric(validation.run_id(run_id), key, number, ts, st)

    def set_tag(self, run_id: str, key: str, value, synchronous: bool | None = None) -> None:
        validation.validate_key("Tag", key)
        store = self._logging_store()
        store.set_tag(validation.run_id(run_id), key, validation.tag_value(key, value))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.delete_tag(validation.run_id(run_id), key)

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
        store = self._logging_store()
        store.log_batch(validation.run_id(run_id), metric_rows, param_rows, tag_rows)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self.store.get_metric_history(run_id, key)

    # -- search ---------------------------------------------------------------------------

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
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [experiment_ids]
        validation.max_results(max_results, validation.MAX_RESULTS_PER_SEARCH)
        offset = _decode_token(page_token)
        ids = self.store.search_run_ids(
            list(experiment_ids), filter_string, run_view_type, max_results, order_by, offset
        )
        runs = self.store.load_runs(ids)
        more = len(ids) == max_results
        return PagedList(runs, _encode_token(offset + len(ids)) if more else None)

    # -- artifacts ------------------------------------------------------------------------

    def _artifact_uri(self, run_id: str) -> str:
        return self.get_run(run_id).info.artifact_uri

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        _artifacts.log_artifact(self._artifact_uri(run_id), local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        _artifacts.log_artifacts(self._artifact_uri(run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        if not isinstance(text, str):
            raise MinitrackException(
                f"log_text takes a str, got {type(text).__name__}; use log_dict for dicts."
            )
        _artifacts.write_bytes(self._artifact_uri(run_id), artifact_file, text.encode("utf-8"))

    def log_dict(self, run_id: str, dictionary, artifact_file: str) -> None:
        """JSON, or YAML when ``artifact_file`` ends in .yaml/.yml (like MLflow)."""
        if artifact_file.endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dictionary, default_flow_style=False, sort_keys=False)
        else:
            try:
                text = json.dumps(dictionary, indent=2)
            except TypeError as e:
                raise MinitrackException(
                    f"log_dict could not write {artifact_file!r} as JSON: {e}. "
                    "Convert the values to str, int, float, list or dict first."
                ) from None
        _artifacts.write_bytes(self._artifact_uri(run_id), artifact_file, text.encode("utf-8"))

    def log_figure(
        self, run_id: str, figure, artifact_file: str, *, save_kwargs: dict | None = None
    ) -> None:
        """Save a matplotlib or plotly figure as ``artifact_file`` (format from its suffix)."""
        from minitrack.figures import figure_bytes

        data = figure_bytes(figure, artifact_file, save_kwargs)
        _artifacts.write_bytes(self._artifact_uri(run_id), artifact_file, data)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return _artifacts.list_artifacts(self._artifact_uri(run_id), path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        return _artifacts.download(self._artifact_uri(run_id), path, dst_path)

    def get_run_info(self, run_id: str) -> RunInfo:
        return self.get_run(run_id).info

    # Deprecated MLflow 1.x spelling some course material still uses.
    def list_experiments(self, view_type: int = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        return list(self.search_experiments(view_type=view_type, max_results=None))


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
