"""The store interface: every operation the client needs from a tracking store.

Shaped after MLflow's ``AbstractStore``: experiments, runs, logging, search and the
artifact location of each run, plus the model registry (``store/registry_base.py``).
``SqliteStore`` (a local file) implements it, and so does any store added later (a REST
client of a tracking server, for one). The client calls only these methods and never
learns which store it holds.

The client validates every value before it calls a store: a store trusts what it is
given (ids are clean strings, keys are checked, metric values are floats, timestamps
are int64 milliseconds) and only enforces what needs the stored state (a run that is
not active, a param whose value would change, a name that is taken).

The read side also serves the web UI, so the methods below the ``UI`` line exist for
pages: summaries, the keys of an experiment's columns, a page of runs with its total.
They have plain implementations here, in terms of the others, that a store may
replace with a faster one.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

from minitrack.entities import Experiment, Metric, Run, RunInfo, ViewType
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.store.registry_base import AbstractRegistryStore


def new_id() -> str:
    """A random id in ``uuid.uuid4().hex``'s form, as MLflow gives runs and logged models.

    Built from ``os.urandom`` with RFC 4122's version and variant bits set, because
    ``import uuid`` (which loads ``platform``) would cost ``import minitrack`` 3 ms.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # variant: RFC 4122
    return raw.hex()


class RunColumns:
    """The columns of a search_runs DataFrame, one list per column key.

    ``run_ids`` fixes the row order. Every column is a pair ``(positions, values)``: the
    rows (indexes into ``run_ids``) that have a value, and those values. ``base`` holds
    ``experiment_id, status, artifact_uri, start_time, end_time`` (a value may be None);
    ``metrics`` (floats, NaN allowed), ``params`` and ``tags`` (str) are keyed by the
    logged key. (A plain class: ``dataclasses`` would cost ``import minitrack`` 7 ms.)
    """

    BASE_COLUMNS = ("experiment_id", "status", "artifact_uri", "start_time", "end_time")
    __slots__ = ("run_ids", "base", "metrics", "params", "tags")

    def __init__(self, run_ids: list[str]) -> None:
        self.run_ids = run_ids
        self.base: dict[str, tuple[list[int], list]] = {}
        self.metrics: dict[str, tuple[list[int], list[float]]] = {}
        self.params: dict[str, tuple[list[int], list[str]]] = {}
        self.tags: dict[str, tuple[list[int], list[str]]] = {}

    @classmethod
    def from_runs(cls, runs: list[Run]) -> RunColumns:
        columns = cls([run.info.run_id for run in runs])
        for name in cls.BASE_COLUMNS:
            columns.base[name] = (
                list(range(len(runs))),
                [getattr(run.info, name) for run in runs],
            )
        for row, run in enumerate(runs):
            for kind, values in (
                ("metrics", run.data.metrics),
                ("params", run.data.params),
                ("tags", run.data.tags),
            ):
                table = getattr(columns, kind)
                for key, value in values.items():
                    positions, found = table.setdefault(key, ([], []))
                    positions.append(row)
                    found.append(value)
        return columns


class ExperimentActivity:
    """How many active runs an experiment has, and when anything in it last happened (ms)."""

    __slots__ = ("run_count", "last_activity")

    def __init__(self, run_count: int, last_activity: int | None) -> None:
        self.run_count = run_count
        self.last_activity = last_activity

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExperimentActivity) and (
            (self.run_count, self.last_activity) == (other.run_count, other.last_activity)
        )

    def __repr__(self) -> str:
        return f"ExperimentActivity({self.run_count}, {self.last_activity})"


class DeletedRun:
    """A run in the ``deleted`` lifecycle stage, as ``gc`` considers it (times in ms)."""

    __slots__ = ("run_id", "experiment_id", "artifact_uri", "deleted_time")

    def __init__(
        self, run_id: str, experiment_id: str, artifact_uri: str | None, deleted_time: int | None
    ) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.artifact_uri = artifact_uri
        self.deleted_time = deleted_time


class AbstractStore(AbstractRegistryStore, ABC):
    """A tracking store: what ``MlflowClient`` calls, with validated arguments.

    The registry's operations are declared in ``AbstractRegistryStore``."""

    #: Where artifacts of new experiments go, as a local path or URI.
    artifact_root: str

    #: The tracking server's base URL (``http(s)://host:port``) when the store is a client
    #: of one, else None: ``mlflow-artifacts:`` artifact URIs resolve against it.
    server_url: str | None = None

    @abstractmethod
    def describe(self) -> str:
        """A one-line name of the store for messages, e.g. '/home/ada/mlflow.db'."""

    def check_available(self) -> None:  # noqa: B027 - most stores have nothing to check
        """Raise MinitrackException when the store can no longer be used as opened."""

    # -- experiments ----------------------------------------------------------------------

    @abstractmethod
    def create_experiment(
        self, name: str, artifact_location: str | None, tags: list[tuple[str, str]]
    ) -> str:
        """Create an experiment; RESOURCE_ALREADY_EXISTS when the name is taken."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abstractmethod
    def search_experiments(
        self,
        view_type: int,
        max_results: int | None,
        filter_string: str | None,
        order_by: list[str] | None,
        offset: int,
    ) -> list[Experiment]: ...

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -- runs -----------------------------------------------------------------------------

    @abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: dict[str, str],
        run_name: str | None,
    ) -> Run: ...

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def update_run_info(
        self, run_id: str, status: str, end_time: int | None, run_name: str | None
    ) -> RunInfo: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    # -- permanent deletion (``gc``) ------------------------------------------------------

    @abstractmethod
    def deleted_runs(
        self, deleted_before: int | None = None, experiment_ids: list[str] | None = None
    ) -> list[DeletedRun]:
        """Runs in the deleted stage, deleted at or before ``deleted_before`` (ms) when given,
        in ``experiment_ids`` when given; oldest deletion first."""

    @abstractmethod
    def deleted_experiments(
        self, deleted_before: int | None = None, experiment_ids: list[str] | None = None
    ) -> list[Experiment]:
        """Experiments in the deleted stage (``last_update_time`` is when), filtered alike."""

    @abstractmethod
    def purge_run(self, run_id: str) -> None:
        """Remove a deleted run and everything logged to it from the store, for good.
        Its artifacts are the caller's (the client's) to remove."""

    @abstractmethod
    def purge_experiment(self, experiment_id: str) -> None:
        """Remove a deleted experiment, its runs (all deleted) and its logged models, for good."""

    # -- logging --------------------------------------------------------------------------

    @abstractmethod
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Log one value; ``value`` is a float and may be NaN or infinite."""

    @abstractmethod
    def log_param(self, run_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def set_tag(self, run_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: list[tuple[str, float, int, int]],
        params: list[tuple[str, str]],
        tags: list[tuple[str, str]],
    ) -> None:
        """Metrics as ``(key, value, timestamp, step)``, all or nothing."""

    @abstractmethod
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value of ``key``, ordered by step, timestamp and value."""

    # -- search ---------------------------------------------------------------------------

    @abstractmethod
    def search_run_ids(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        max_results: int | None,
        order_by: list[str] | None,
        offset: int = 0,
    ) -> list[str]:
        """Ids of the matching runs, in result order."""

    @abstractmethod
    def load_runs(self, run_ids: list[str]) -> list[Run]:
        """The runs with these ids, in this order (unknown ids are left out)."""

    def run_columns(self, run_ids: list[str]) -> RunColumns:
        """search_runs' DataFrame columns for these runs."""
        return RunColumns.from_runs(self.load_runs(run_ids))

    # A search and its results in one call: a store whose search already returns whole
    # runs (a REST server's does) replaces these, saving a second round trip per run.

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        max_results: int | None,
        order_by: list[str] | None,
        offset: int = 0,
    ) -> list[Run]:
        """The matching runs, in result order."""
        ids = self.search_run_ids(
            experiment_ids, filter_string, run_view_type, max_results, order_by, offset
        )
        return self.load_runs(ids)

    def search_run_columns(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        max_results: int | None,
        order_by: list[str] | None,
    ) -> RunColumns:
        """search_runs' DataFrame columns for the matching runs, in result order."""
        ids = self.search_run_ids(
            experiment_ids, filter_string, run_view_type, max_results, order_by
        )
        return self.run_columns(ids)

    # -- UI: what the pages read, beyond the calls above -----------------------------------

    def experiment_activity(self, experiment_ids: list[str]) -> dict[str, ExperimentActivity]:
        """Active-run counts and last activity of these experiments (unknown ids left out).

        The last activity is the latest of the experiment's creation, its last update and
        its runs' end (or start) times, as the SQLite store counts it. Each experiment is
        one get and one search: a REST store's search pages through whole runs, so no run
        costs a request of its own.
        """
        out = {}
        for exp_id in experiment_ids:
            try:
                experiment = self.get_experiment(exp_id)
            except MinitrackException as error:
                if error.error_code != RESOURCE_DOES_NOT_EXIST:
                    raise
                continue
            runs = self.search_runs([exp_id], "", ViewType.ACTIVE_ONLY, None, None)
            times = [experiment.creation_time, experiment.last_update_time]
            times += [r.info.end_time or r.info.start_time for r in runs]
            times = [t for t in times if t is not None]
            out[exp_id] = ExperimentActivity(len(runs), max(times) if times else None)
        return out

    def run_keys(self, experiment_id: str) -> dict[str, list[str]]:
        """The metric, param and tag keys the experiment's active runs have logged."""
        keys: dict[str, set[str]] = {"metrics": set(), "params": set(), "tags": set()}
        for run in self.search_runs([experiment_id], "", ViewType.ACTIVE_ONLY, None, None):
            keys["metrics"].update(run.data.metrics)
            keys["params"].update(run.data.params)
            keys["tags"].update(run.data.tags)
        return {kind: sorted(found) for kind, found in keys.items()}

    def search_run_page(
        self,
        experiment_ids: list[str],
        filter_string: str,
        run_view_type: int,
        order_by: list[str] | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Run], int]:
        """One page of the matching runs and how many runs match in all."""
        every = self.search_runs(experiment_ids, filter_string, run_view_type, None, order_by)
        return every[offset : offset + limit], len(every)

    def metric_histories(self, run_ids: list[str], key: str) -> dict[str, list[Metric]]:
        """``get_metric_history`` of several runs (unknown runs: RESOURCE_DOES_NOT_EXIST)."""
        return {run_id: self.get_metric_history(run_id, key) for run_id in run_ids}
