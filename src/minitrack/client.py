"""``MlflowClient``: the explicit tracking API, with MLflow's names, arguments and defaults.

Every method takes ids explicitly (no active run). Values are validated here,
before the store is touched, so a rejected call changes nothing.
"""

from __future__ import annotations

import json
import os
import time

from minitrack import validation
from minitrack.artifacts.paths import file_path
from minitrack.artifacts.runs import repository_at, run_repository
from minitrack.context import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME, MLFLOW_USER
from minitrack.entities import (
    Experiment,
    FileInfo,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelVersion,
    PagedList,
    Param,
    RegisteredModel,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from minitrack.exceptions import (
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MinitrackException,
)
from minitrack.store import ExperimentActivity, RunColumns, get_store
from minitrack.uris import ModelsUri, append_path, get_tracking_uri, is_models_uri, parse_models_uri

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (3 ms)
if TYPE_CHECKING:
    from minitrack.artifacts.runs import ArtifactRepository

SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _encode_token(offset: int) -> str:
    import base64

    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


# A page token is minitrack's own offset. No store holds 2**53 rows, and a larger offset
# (from a hand-made token) would overflow SQLite's 64-bit OFFSET.
_MAX_PAGE_OFFSET = 2**53


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    import base64

    try:
        offset = json.loads(base64.b64decode(token))["offset"]
        if isinstance(offset, int) and 0 <= offset <= _MAX_PAGE_OFFSET:
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
        default_artifact_root: str | None = None,
        artifacts_destination: str | None = None,
    ) -> None:
        """``read_only`` (minitrack's own) is the web UI's client: it never writes, and
        every read sees the store's file as it is on disk now.

        The tracking server's own (minitrack's): ``default_artifact_root`` is where new
        experiments keep artifacts (``mlflow-artifacts:/`` when it serves them) and
        ``artifacts_destination`` the folder those ``mlflow-artifacts:`` URIs live in."""
        self._tracking_uri = os.fspath(tracking_uri) if tracking_uri else get_tracking_uri()
        self._store = get_store(self._tracking_uri, default_artifact_root, read_only=read_only)
        self._artifacts_destination = artifacts_destination

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
            if not isinstance(artifact_location, (str, os.PathLike)):
                raise MinitrackException(
                    f"artifact_location must be a path or URI string, got "
                    f"{type(artifact_location).__name__}."
                )
            artifact_location = validation.text("artifact_location", os.fspath(artifact_location))
        pairs = validation.mapping_items(tags, "tags")
        tag_items = [validation.experiment_tag(k, v) for k, v in pairs]
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
        *,
        user_id: str | None = None,
    ) -> Run:
        """A new RUNNING run. Unlike the fluent start_run, adds no system tags but the name.

        ``user_id`` (minitrack's own) is the tracking server's: the user its client sent."""
        exp_id = validation.experiment_id(experiment_id)
        clean = {
            validation.validate_key("Tag", k): validation.tag_value(k, v)
            for k, v in validation.mapping_items(tags, "tags")
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
        user = clean.get(MLFLOW_USER) if user_id is None else validation.text("user_id", user_id)
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

    # -- permanent deletion (gc) ------------------------------------------------------------
    # The store forgets; ``gc`` (minitrack.lifecycle) also removes the artifacts, first.

    @staticmethod
    def _deleted_filter(deleted_before, experiment_ids):
        if deleted_before is not None and (
            isinstance(deleted_before, bool)
            or not isinstance(deleted_before, int)
            or not -(2**63) <= deleted_before < 2**63  # what SQLite holds
        ):
            raise MinitrackException(
                f"Invalid deleted_before {deleted_before!r}: pass a time in milliseconds since "
                "the epoch, e.g. int(time.time() * 1000), or None."
            )
        ids = None if experiment_ids is None else validation.experiment_ids(experiment_ids)
        return deleted_before, ids

    def deleted_runs(self, deleted_before: int | None = None, experiment_ids=None):
        """Runs in the deleted stage (deleted at or before ``deleted_before`` ms, if given)."""
        return self._store.deleted_runs(*self._deleted_filter(deleted_before, experiment_ids))

    def deleted_experiments(self, deleted_before: int | None = None, experiment_ids=None):
        """Experiments in the deleted stage (deleted at or before ``deleted_before`` ms)."""
        return self._store.deleted_experiments(
            *self._deleted_filter(deleted_before, experiment_ids)
        )

    def purge_run(self, run_id: str) -> None:
        """Remove a deleted run from the store for good (its artifacts: see ``gc``)."""
        self._store.purge_run(validation.run_id(run_id))

    def purge_experiment(self, experiment_id: str) -> None:
        """Remove a deleted experiment and its runs from the store for good."""
        self._store.purge_experiment(validation.experiment_id(experiment_id))

    def plan_gc(self, older_than: str | None = None, experiment_ids=None):
        """What ``gc`` would delete (``older_than`` like '30d') and what it keeps; a dry run."""
        from minitrack import lifecycle

        age = None if older_than is None else lifecycle.parse_age(older_than)
        ids = None if experiment_ids is None else validation.experiment_ids(experiment_ids)
        return lifecycle.plan(self, age, ids)

    def gc(self, plan, echo=print) -> None:
        """Permanently delete what ``plan`` (from ``plan_gc``) lists, artifacts first."""
        from minitrack import lifecycle

        if not isinstance(plan, lifecycle.GcPlan):
            raise MinitrackException(
                f"Invalid plan {plan!r}: pass what MlflowClient.plan_gc() returned."
            )
        lifecycle.collect(self, plan, echo)

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
        ids = validation.experiment_ids(experiment_ids)
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
        return self._store.experiment_activity(validation.experiment_ids(experiment_ids))

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
        ids = validation.experiment_ids(experiment_ids)
        ViewType.stages(run_view_type)
        validation.max_results(limit, validation.MAX_RESULTS_PER_SEARCH)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise MinitrackException(f"offset must be a whole number >= 0, got {offset!r}.")
        return self._store.search_run_page(
            ids, _filter(filter_string), run_view_type, _order_by(order_by), limit, offset
        )

    def load_runs(self, run_ids: list[str]) -> list[Run]:
        """These runs, in this order; unknown ids are left out."""
        return self._store.load_runs(validation.run_ids(run_ids))

    def get_metric_histories(self, run_ids: list[str], key: str) -> dict[str, list[Metric]]:
        """Every value of metric ``key`` for each of these runs."""
        validation.validate_key("Metric", key)
        return self._store.metric_histories(validation.run_ids(run_ids), key)

    # -- artifacts ------------------------------------------------------------------------

    def _artifacts(self, run_id: str) -> ArtifactRepository:
        return run_repository(self._store, validation.run_id(run_id), self._artifacts_destination)

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

            try:
                text = yaml.safe_dump(dictionary, default_flow_style=False, sort_keys=False)
            except yaml.YAMLError as e:
                raise MinitrackException(
                    f"log_dict could not write {artifact_file!r} as YAML: {e}. "
                    "Convert the values to str, int, float, list or dict first."
                ) from None
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

        file_path(artifact_file)  # a bad name is refused before the figure is drawn
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

    # -- model registry --------------------------------------------------------------------
    # MLflow's registry calls, with its names, arguments and defaults. Every argument is
    # checked here; the store checks what needs the database in the same transaction as
    # the change, so a refused call leaves the registry as it was.

    def create_registered_model(
        self, name: str, tags: dict | None = None, description: str | None = None
    ) -> RegisteredModel:
        name = validation.registered_model_name(name)
        return self._store.create_registered_model(
            name, _registry_tags(tags), validation.model_description(description)
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._store.get_registered_model(validation.registered_model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        name = validation.registered_model_name(name)
        new_name = validation.registered_model_name(new_name, "new_name")
        return self._store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        name = validation.registered_model_name(name)
        return self._store.update_registered_model(name, validation.model_description(description))

    def delete_registered_model(self, name: str) -> None:
        self._store.delete_registered_model(validation.registered_model_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        validation.max_results(max_results, validation.MAX_SEARCH_REGISTERED_MODELS)
        offset = _decode_token(page_token)
        # One more than asked for tells whether another page exists, as MLflow does.
        found = self._store.search_registered_models(
            filter_string, max_results + 1, order_by, offset
        )
        more = len(found) > max_results
        return PagedList(found[:max_results], _encode_token(offset + max_results) if more else None)

    def set_registered_model_tag(self, name: str, key: str, value) -> None:
        name = validation.registered_model_name(name)
        key, value = validation.registry_tag(key, value)
        self._store.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        name = validation.registered_model_name(name)
        validation.validate_key("Registered model tag", key)
        self._store.delete_registered_model_tag(name, key)

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: dict | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
        model_id: str | None = None,
    ) -> ModelVersion:
        """A new version of ``name`` whose files are at ``source`` (a model URI or folder).

        A ``models:/`` source is looked up now: its files become the version's storage
        location, as in MLflow. A local registry has no background copy, so the version
        is READY at once and ``await_creation_for`` has nothing to wait for.
        """
        name = validation.registered_model_name(name)
        if not isinstance(source, str) or not source:
            raise MinitrackException(
                f"Invalid source {source!r}: pass the model's URI, e.g. 'runs:/<run_id>/model' "
                "or 'models:/m-<id>'."
            )
        if run_id is not None:
            validation.run_id(run_id)
        clean_tags = _registry_tags(tags)
        description = validation.model_description(description)
        storage_location = source
        if is_models_uri(source):
            parsed = parse_models_uri(source)
            if parsed.model_id is not None:
                logged = self.get_logged_model(parsed.model_id)
                storage_location = logged.artifact_location
                run_id = run_id or logged.source_run_id
                model_id = model_id or logged.model_id
            else:
                mv = self._model_version_for_uri(parsed)
                storage_location = self.get_model_version_download_uri(mv.name, mv.version)
        if run_id is None and model_id is not None:
            run_id = self.get_logged_model(model_id).source_run_id
        return self._store.create_model_version(
            name,
            source,
            run_id,
            clean_tags,
            run_link,
            description,
            storage_location=storage_location,
            model_id=model_id,
        )

    def get_model_version(self, name: str, version) -> ModelVersion:
        name = validation.registered_model_name(name)
        return self._store.get_model_version(name, validation.model_version(version))

    def update_model_version(
        self, name: str, version, description: str | None = None
    ) -> ModelVersion:
        name = validation.registered_model_name(name)
        return self._store.update_model_version(
            name, validation.model_version(version), validation.model_description(description)
        )

    def delete_model_version(self, name: str, version) -> None:
        name = validation.registered_model_name(name)
        self._store.delete_model_version(name, validation.model_version(version))

    def get_model_version_download_uri(self, name: str, version) -> str:
        name = validation.registered_model_name(name)
        return self._store.get_model_version_download_uri(name, validation.model_version(version))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        validation.max_results(max_results, validation.MAX_SEARCH_MODEL_VERSIONS)
        offset = _decode_token(page_token)
        found = self._store.search_model_versions(filter_string, max_results + 1, order_by, offset)
        more = len(found) > max_results
        return PagedList(found[:max_results], _encode_token(offset + max_results) if more else None)

    def set_model_version_tag(self, name: str, version=None, key=None, value=None) -> None:
        name = validation.registered_model_name(name)
        version = validation.model_version(version)
        key, value = validation.registry_tag(key, value, "Model version tag")
        self._store.set_model_version_tag(name, version, key, value)

    def delete_model_version_tag(self, name: str, version=None, key=None) -> None:
        name = validation.registered_model_name(name)
        version = validation.model_version(version)
        validation.validate_key("Model version tag", key)
        self._store.delete_model_version_tag(name, version, key)

    def set_registered_model_alias(self, name: str, alias: str, version) -> None:
        name = validation.registered_model_name(name)
        alias = validation.model_alias(alias, for_setting=True)
        self._store.set_registered_model_alias(name, alias, validation.model_version(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        name = validation.registered_model_name(name)
        self._store.delete_registered_model_alias(name, validation.model_alias(alias))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        from minitrack.store import model_uris  # the registry's URIs: on first use

        return model_uris.version_by_alias(self._store, name, alias)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Register the version ``src_model_uri`` names as a new version of ``dst_name``."""
        if not is_models_uri(src_model_uri):
            raise MinitrackException(
                f"Unsupported source model URI: '{src_model_uri}'. The `copy_model_version` "
                "API only copies models stored in the 'models:/' scheme, e.g. "
                "models:/nyc-taxi-regressor/1."
            )
        dst_name = validation.registered_model_name(dst_name)
        src = self._model_version_for_uri(parse_models_uri(src_model_uri))
        self._ensure_registered_model(dst_name)
        copy = self.create_model_version(
            dst_name,
            f"models:/{src.name}/{src.version}",
            run_id=src.run_id,
            tags=src.tags,
            run_link=src.run_link,
            description=src.description,
            model_id=src.model_id,
        )
        _eprint(
            f"Copied version '{src.version}' of model '{src.name}' to version "
            f"'{copy.version}' of model '{copy.name}'."
        )
        return copy

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """Deprecated since MLflow 2.9: the newest version in each of ``stages`` (all)."""
        _warn_stages_deprecated("get_latest_versions")
        from minitrack.store import model_uris  # the registry's URIs: on first use

        return model_uris.latest_versions(self._store, name, stages)

    def transition_model_version_stage(
        self, name: str, version, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Deprecated since MLflow 2.9: move a version to a stage (aliases replace stages)."""
        _warn_stages_deprecated("transition_model_version_stage")
        name = validation.registered_model_name(name)
        version = validation.model_version(version)
        stage = validation.model_stage(stage)
        return self._store.transition_model_version_stage(
            name, version, stage, bool(archive_existing_versions)
        )

    # -- logged models (MLflow 3) ----------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict | None = None,
        params: dict | None = None,
        model_type: str | None = None,
        artifact_location: str | None = None,
        model_id: str | None = None,
    ) -> LoggedModel:
        """A logged model; its files go to ``artifact_location`` (by default the run's
        ``<name>`` artifact folder, where log_model writes). ``model_id`` ('m-<32 hex>')
        is made here unless given (log_model writes it into MLmodel first; a copy keeps it).
        """
        experiment_id = validation.experiment_id(experiment_id)
        name = name or "model"
        validation.validate_key("Logged model name", name, "name")
        if artifact_location is None:
            if source_run_id is None:
                raise MinitrackException(
                    "create_logged_model needs source_run_id (its files go into that run's "
                    "artifacts) or an explicit artifact_location."
                )
            artifact_location = append_path(self.get_run(source_run_id).info.artifact_uri, name)
        tag_rows = [
            validation.registry_tag(k, v) for k, v in validation.mapping_items(tags, "tags")
        ]
        param_rows = [
            (validation.validate_key("Param", k), validation.param_value(k, v))
            for k, v in validation.mapping_items(params, "params")
        ]
        if model_id is not None:
            validation.logged_model_id(model_id)
        return self._store.create_logged_model(
            experiment_id,
            name,
            artifact_location,
            source_run_id,
            model_type,
            tag_rows,
            param_rows,
            model_id=model_id,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._store.get_logged_model(validation.logged_model_id(model_id))

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        status = getattr(status, "value", status)
        if status not in (LoggedModelStatus.READY, LoggedModelStatus.FAILED):
            raise MinitrackException(
                f"Invalid logged model status {status!r}: use 'READY' or 'FAILED'."
            )
        return self._store.finalize_logged_model(self.get_logged_model(model_id).model_id, status)

    def log_model_artifacts(
        self, model_id: str, local_dir: str, artifact_path: str | None = None
    ) -> None:
        """Upload a folder into a logged model's own artifact location (MLflow 3's call)."""
        logged = self.get_logged_model(model_id)
        repository_at(logged.artifact_location, self._store.server_url).log_folder(
            local_dir, artifact_path
        )

    def set_logged_model_tags(self, model_id: str, tags: dict) -> None:
        rows = [validation.registry_tag(k, v) for k, v in validation.mapping_items(tags, "tags")]
        self._store.set_logged_model_tags(validation.logged_model_id(model_id), rows)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        validation.validate_key("Tag", key)
        self._store.delete_logged_model_tag(validation.logged_model_id(model_id), key)

    def search_logged_models(
        self,
        experiment_ids: list[str] | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """The logged models of the experiments, newest first (no filter grammar yet)."""
        ids = [validation.experiment_id(e) for e in (experiment_ids or ["0"])]
        if max_results is not None:
            validation.max_results(max_results, validation.MAX_RESULTS_PER_SEARCH)
        offset = _decode_token(page_token)
        found = self._store.search_logged_models(
            ids, None if max_results is None else max_results + 1, offset
        )
        more = max_results is not None and len(found) > max_results
        return PagedList(
            found[:max_results] if max_results is not None else found,
            _encode_token(offset + max_results) if more else None,
        )

    def get_store_id(self) -> str:
        """minitrack's own: the random id this store file got when it was created or
        upgraded (32 hex characters). A copy of the runs records ``<store id>/<run id>``."""
        return self._store.get_store_id()

    # -- registry helpers (private: the fluent API and the models code use them) ----------

    def _ensure_registered_model(self, name: str) -> bool:
        """Create ``name`` unless it exists; True when it was created (MLflow's messages)."""
        try:
            self.create_registered_model(name)
        except MinitrackException as e:
            if e.error_code != RESOURCE_ALREADY_EXISTS:
                raise
            _eprint(
                f"Registered model '{name}' already exists. Creating a new version of this model..."
            )
            return False
        _eprint(f"Successfully registered model '{name}'.")
        return True

    def _model_version_for_uri(self, parsed: ModelsUri) -> ModelVersion:
        """The version a models:/<name>/... URI names (not for models:/m-<id>)."""
        from minitrack.store import model_uris  # the registry's URIs: on first use

        return model_uris.version_for_uri(self._store, parsed)

    def _model_uri_location(self, model_uri: str) -> str:
        """Where the files of a models:/ URI are: a folder path, file: URI or runs:/ URI."""
        from minitrack.store import model_uris  # the registry's URIs: on first use

        return model_uris.model_uri_location(self._store, model_uri)

    def _register_model(self, model_uri, name: str, tags: dict | None) -> ModelVersion:
        """What minitrack.register_model does: check, create the model if new, add a version."""
        name = validation.registered_model_name(name)
        source, run_id, model_id = self._registration_source(model_uri)
        self._ensure_registered_model(name)
        version = self.create_model_version(name, source, run_id, tags=tags, model_id=model_id)
        _eprint(f"Created version '{version.version}' of model '{version.name}'.")
        if model_id is not None:
            self._note_registration_on_logged_model(model_id, version)
        return version

    def _registration_source(self, model_uri) -> tuple[str, str | None, str | None]:
        """``(source, run_id, model_id)`` for registering ``model_uri``, checked to exist."""
        if not isinstance(model_uri, str) or not model_uri:
            raise MinitrackException(
                f"Invalid model_uri {model_uri!r}: pass the URI log_model returned, e.g. "
                "'runs:/<run_id>/model' or model_info.model_uri."
            )
        if model_uri.startswith("runs:"):
            from minitrack.uris import parse_runs_uri

            run_id, path = parse_runs_uri(model_uri)
            run = self.get_run(validation.run_id(run_id))
            found = self._store.find_logged_models(run_id, path)
            if found:
                return f"models:/{found[0].model_id}", run_id, found[0].model_id
            files = {f.path for f in self.list_artifacts(run_id, path)} if path else set()
            if f"{path}/MLmodel" in files:  # a model logged before logged models existed
                return append_path(run.info.artifact_uri, path), run_id, None
            models = sorted({m.name for m in self._store.find_logged_models(run_id)})
            raise MinitrackException(
                f"Cannot register '{model_uri}': run {run_id} has no model at '{path}' "
                f"(its logged models: {', '.join(models) or 'none'}). Use the path given to "
                "log_model (default 'model'), e.g. runs:/<run_id>/model.",
                RESOURCE_DOES_NOT_EXIST,
            )
        if is_models_uri(model_uri):
            parsed = parse_models_uri(model_uri)
            if parsed.model_id is not None:
                logged = self.get_logged_model(parsed.model_id)
                return model_uri, logged.source_run_id, logged.model_id
            mv = self._model_version_for_uri(parsed)
            return model_uri, mv.run_id, mv.model_id
        from minitrack.uris import local_path_from_uri

        folder = local_path_from_uri(model_uri)
        if not os.path.isfile(os.path.join(folder, "MLmodel")):
            raise MinitrackException(
                f"Cannot register '{model_uri}': it is not a model folder (no MLmodel file "
                "there). Pass runs:/<run_id>/<path>, models:/m-<id> or a save_model folder.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return model_uri, None, None

    def _note_registration_on_logged_model(self, model_id: str, version: ModelVersion) -> None:
        """MLflow's ``mlflow.modelVersions`` tag: which versions a logged model became."""
        logged = self.get_logged_model(model_id)
        noted = json.loads(logged.tags.get("mlflow.modelVersions", "[]"))
        noted.append({"name": version.name, "version": version.version})
        self.set_logged_model_tags(model_id, {"mlflow.modelVersions": json.dumps(noted)})


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


# -- model registry helpers -----------------------------------------------------------------


def _registry_tags(tags) -> list[tuple[str, str]]:
    if tags is None:
        return []
    if not isinstance(tags, dict):
        raise MinitrackException(
            f"tags must be a dict of str to str, got {type(tags).__name__}, e.g. {{'team': 'ml'}}."
        )
    return [validation.registry_tag(k, v) for k, v in tags.items()]


def _warn_stages_deprecated(call: str) -> None:
    import warnings

    warnings.warn(
        f"``minitrack.MlflowClient.{call}`` is deprecated since 2.9.0. Model registry stages "
        "will be removed in a future major release. To learn more about the deprecation of "
        "model registry stages, see MLflow's migration guide: use aliases "
        "(set_registered_model_alias) and tags instead.",
        FutureWarning,
        stacklevel=3,
    )


def _eprint(message: str) -> None:
    import sys

    print(message, file=sys.stderr)
