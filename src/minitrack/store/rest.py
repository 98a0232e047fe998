"""``RestStore``: the store interface over a tracking server's REST API.

``http(s)://`` tracking URIs land here. Each store operation is one (or, for searches,
a few paged) call of MLflow's REST API, ``/api/2.0/mlflow/...`` with the JSON fields
of MLflow's ``service.proto``, so the same code talks to ``minitrack server`` and to a
real ``mlflow server``. The client has validated every argument already; the server
enforces what needs its stored state, and its errors come back as MinitrackException
with MLflow's error code (see ``store.http``).

The registry and logged models are in ``rest_registry`` (a mixin), the JSON shapes in
``rest_json``.
"""

from __future__ import annotations

import threading
import time

from minitrack.entities import Experiment, Metric, Run, RunInfo, ViewType
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.store.base import AbstractStore, DeletedRun, RunColumns
from minitrack.store.http import client_for
from minitrack.store.rest_json import (
    experiment_from_json,
    metric_from_json,
    pairs,
    run_from_json,
    run_info_from_json,
    wire_float,
)
from minitrack.store.rest_registry import RestRegistryStore
from minitrack.uris import server_url_from_uri

API = "/api/2.0/mlflow"
# Page sizes asked of the server: the most MLflow's server gives in one page (50,000
# runs; experiments rarely number more than a page of 1,000).
RUNS_PAGE = 50000
EXPERIMENTS_PAGE = 1000
METRICS_PAGE = 25000
# MLflow's limits for one log-batch request.
BATCH_METRICS, BATCH_PARAMS, BATCH_TAGS = 1000, 100, 100


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RestStore(RestRegistryStore, AbstractStore):
    """A client of the tracking server at ``tracking_uri`` (``http(s)://host:port``)."""

    def __init__(self, tracking_uri: str) -> None:
        self.server_url = server_url_from_uri(tracking_uri)
        self.artifact_root = self.server_url  # the server decides where artifacts go
        self._http = client_for(self.server_url)
        # (what was searched, position) -> the server's token for the results from there on
        self._cursors: dict[tuple, str] = {}
        self._cursors_lock = threading.Lock()

    def describe(self) -> str:
        return f"the tracking server at {self.server_url}"

    # -- plumbing ---------------------------------------------------------------------------

    def _get(self, endpoint: str, **params) -> dict:
        query = {k: v for k, v in params.items() if v is not None}
        return self._http.request("GET", f"{API}/{endpoint}", params=query)

    def _post(self, endpoint: str, body: dict) -> dict:
        return self._http.request("POST", f"{API}/{endpoint}", json=body)

    def _call(self, method: str, endpoint: str, body: dict | None = None) -> dict:
        return self._http.request(method, f"{API}/{endpoint}", json=body)

    def _paged(self, fetch, offset: int, max_results: int | None, page: int, query: tuple) -> list:
        """Items ``[offset, offset + max_results)`` of a paged search, page by page.

        ``fetch(page_size, token) -> (items, next_token)``. The server's own tokens are
        followed, whatever their form, so this works with any server. ``query`` says what
        was searched: the token at each position a search reaches is remembered for it, so
        the next page (the client's ``offset + max_results``) starts there instead of at
        the first result. The client asks for one result more than a page, to know whether
        there is another, so the last request stops one short to leave a token at the
        page's end.
        """
        wanted = None if max_results is None else offset + max_results
        start, token = 0, None
        if offset:
            with self._cursors_lock:
                token = self._cursors.get((query, offset))
            start = offset if token is not None else 0
        found: list = []
        while wanted is None or start + len(found) < wanted:
            reached = start + len(found)
            size = page if wanted is None else min(page, wanted - reached)
            if wanted is not None and size == wanted - reached and size > 1:
                size -= 1  # the page ends here: get a token for it
            items, token = fetch(size, token)
            found.extend(items)
            if not token or not items:
                break
            self._remember_cursor(query, start + len(found), token)
        return found[offset - start : None if wanted is None else wanted - start]

    _CURSORS_KEPT = 256

    def _remember_cursor(self, query: tuple, position: int, token: str) -> None:
        with self._cursors_lock:
            self._cursors.pop((query, position), None)
            self._cursors[(query, position)] = token
            while len(self._cursors) > self._CURSORS_KEPT:
                del self._cursors[next(iter(self._cursors))]

    # -- experiments ------------------------------------------------------------------------

    def create_experiment(self, name, artifact_location, tags) -> str:
        body = {"name": name, "tags": pairs(tags)}
        if artifact_location is not None:
            body["artifact_location"] = artifact_location
        return str(self._post("experiments/create", body)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        raw = self._get("experiments/get", experiment_id=experiment_id)
        return experiment_from_json(raw["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            raw = self._get("experiments/get-by-name", experiment_name=name)
        except MinitrackException as error:
            if error.error_code == RESOURCE_DOES_NOT_EXIST:
                return None
            raise
        return experiment_from_json(raw["experiment"])

    def search_experiments(self, view_type, max_results, filter_string, order_by, offset):
        def fetch(size, token):
            body = {
                "max_results": size,
                "view_type": ViewType.to_string(view_type),
                "filter": filter_string or "",
                "order_by": list(order_by or []),
            }
            if token:
                body["page_token"] = token
            raw = self._post("experiments/search", body)
            items = [experiment_from_json(e) for e in raw.get("experiments") or []]
            return items, raw.get("next_page_token")

        query = ("experiments", view_type, filter_string, tuple(order_by or ()))
        return self._paged(fetch, offset, max_results, EXPERIMENTS_PAGE, query)

    def delete_experiment(self, experiment_id: str) -> None:
        self._post("experiments/delete", {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        self._post("experiments/restore", {"experiment_id": experiment_id})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post("experiments/update", {"experiment_id": experiment_id, "new_name": new_name})

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        body = {"experiment_id": experiment_id, "key": key, "value": value}
        self._post("experiments/set-experiment-tag", body)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        body = {"experiment_id": experiment_id, "key": key}
        self._post("experiments/delete-experiment-tag", body)

    # -- runs -------------------------------------------------------------------------------

    def create_run(self, experiment_id, user_id, start_time, tags, run_name) -> Run:
        body = {"experiment_id": experiment_id, "tags": pairs(tags.items())}
        if user_id is not None:
            body["user_id"] = user_id
        # A server takes a missing start_time as 0 (protobuf's default): send now, as
        # MLflow's client does.
        body["start_time"] = start_time if start_time is not None else time.time_ns() // 10**6
        if run_name:
            body["run_name"] = run_name
        return run_from_json(self._post("runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        return run_from_json(self._get("runs/get", run_id=run_id)["run"])

    def update_run_info(self, run_id, status, end_time, run_name) -> RunInfo:
        body = {"run_id": run_id, "run_uuid": run_id, "status": status}
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        return run_info_from_json(self._post("runs/update", body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._post("runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._post("runs/restore", {"run_id": run_id})

    # -- logging ----------------------------------------------------------------------------

    def log_metric(self, run_id, key, value, timestamp, step) -> None:
        body = {
            "run_id": run_id,
            "run_uuid": run_id,
            "key": key,
            "value": wire_float(value),
            "timestamp": timestamp,
            "step": step,
        }
        self._post("runs/log-metric", body)

    def log_param(self, run_id, key, value) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": key, "value": value}
        self._post("runs/log-parameter", body)

    def set_tag(self, run_id, key, value) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": key, "value": value}
        self._post("runs/set-tag", body)

    def delete_tag(self, run_id, key) -> None:
        self._post("runs/delete-tag", {"run_id": run_id, "key": key})

    def log_batch(self, run_id, metrics, params, tags) -> None:
        """In requests within MLflow's per-request limits, params and tags first.

        A local store writes a batch in one transaction; over HTTP, a batch larger than
        one request is several requests, as with MLflow's own client, and a failure
        part-way leaves the earlier requests logged.
        """
        metric_rows = [
            {"key": k, "value": wire_float(v), "timestamp": ts, "step": st}
            for k, v, ts, st in metrics
        ]
        param_rows, tag_rows = pairs(params), pairs(tags)
        if not (metric_rows or param_rows or tag_rows):
            self._post("runs/log-batch", {"run_id": run_id})  # the server checks the run
            return
        for chunk in _chunks(param_rows, BATCH_PARAMS):
            self._post("runs/log-batch", {"run_id": run_id, "params": chunk})
        for chunk in _chunks(tag_rows, BATCH_TAGS):
            self._post("runs/log-batch", {"run_id": run_id, "tags": chunk})
        for chunk in _chunks(metric_rows, BATCH_METRICS):
            self._post("runs/log-batch", {"run_id": run_id, "metrics": chunk})

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        out: list[Metric] = []
        token = None
        while True:
            raw = self._get(
                "metrics/get-history",
                run_id=run_id,
                metric_key=key,
                max_results=METRICS_PAGE,
                page_token=token,
            )
            out.extend(metric_from_json(m, run_id) for m in raw.get("metrics") or [])
            token = raw.get("next_page_token")
            if not token:
                break
        out.sort(key=lambda m: (m.step, m.timestamp, m.value))
        return out

    # -- search -----------------------------------------------------------------------------

    def search_runs(
        self, experiment_ids, filter_string, run_view_type, max_results, order_by, offset=0
    ) -> list[Run]:
        def fetch(size, token):
            body = {
                "experiment_ids": list(experiment_ids),
                "filter": filter_string or "",
                "run_view_type": ViewType.to_string(run_view_type),
                "max_results": size,
                "order_by": list(order_by or []),
            }
            if token:
                body["page_token"] = token
            raw = self._post("runs/search", body)
            return [run_from_json(r) for r in raw.get("runs") or []], raw.get("next_page_token")

        query = (
            "runs",
            tuple(experiment_ids),
            filter_string,
            run_view_type,
            tuple(order_by or ()),
        )
        return self._paged(fetch, offset, max_results, RUNS_PAGE, query)

    def search_run_ids(
        self, experiment_ids, filter_string, run_view_type, max_results, order_by, offset=0
    ) -> list[str]:
        runs = self.search_runs(
            experiment_ids, filter_string, run_view_type, max_results, order_by, offset
        )
        return [run.info.run_id for run in runs]

    def search_run_columns(
        self, experiment_ids, filter_string, run_view_type, max_results, order_by
    ) -> RunColumns:
        runs = self.search_runs(experiment_ids, filter_string, run_view_type, max_results, order_by)
        return RunColumns.from_runs(runs)

    def load_runs(self, run_ids: list[str]) -> list[Run]:
        out = []
        for run_id in run_ids:
            try:
                out.append(self.get_run(run_id))
            except MinitrackException as error:
                if error.error_code != RESOURCE_DOES_NOT_EXIST:
                    raise
        return out

    # -- deleted things, and deleting them for good -------------------------------------
    # MLflow's REST API lists deleted runs and experiments but neither says when they were
    # deleted nor deletes anything for good: that is the server's own `gc`.

    def deleted_runs(self, deleted_before=None, experiment_ids=None) -> list[DeletedRun]:
        ids = experiment_ids or [
            e.experiment_id for e in self.search_experiments(ViewType.ALL, None, None, None, 0)
        ]
        runs = self.search_runs(ids, "", ViewType.DELETED_ONLY, None, None) if ids else []
        return [
            DeletedRun(r.info.run_id, r.info.experiment_id, r.info.artifact_uri, None) for r in runs
        ]

    def deleted_experiments(self, deleted_before=None, experiment_ids=None) -> list[Experiment]:
        found = self.search_experiments(ViewType.DELETED_ONLY, None, None, None, 0)
        return [e for e in found if not experiment_ids or e.experiment_id in experiment_ids]

    def _purge(self, what: str) -> None:
        raise MinitrackException(
            f"A tracking server deletes {what} for good with its own gc, on its machine: "
            "`minitrack gc --tracking-uri sqlite:///<the server's file>` for minitrack server, "
            f"`mlflow gc --backend-store-uri <its store>` for mlflow server ({self.server_url})."
        )

    def purge_run(self, run_id: str) -> None:
        self._purge(f"run {run_id}")

    def purge_experiment(self, experiment_id: str) -> None:
        self._purge(f"experiment {experiment_id}")
