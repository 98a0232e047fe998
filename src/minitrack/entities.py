"""The objects minitrack hands back: MLflow's entity names, fields and properties.

They are plain value objects. ``Run.data.metrics`` is ``{key: latest value}``,
``Run.data.params`` and ``Run.data.tags`` are ``{key: str}``, as in MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _NAMES = {"ACTIVE_ONLY": 1, "DELETED_ONLY": 2, "ALL": 3}

    @classmethod
    def from_string(cls, view_str: str) -> int:
        try:
            return cls._NAMES[view_str.upper()]
        except (KeyError, AttributeError):
            from minitrack.exceptions import MinitrackException

            raise MinitrackException(
                f"Unknown view type {view_str!r}; use one of {', '.join(cls._NAMES)}."
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        for name, value in cls._NAMES.items():
            if value == view_type:
                return name
        from minitrack.exceptions import MinitrackException

        raise MinitrackException(f"Unknown view type {view_type!r}; use 1, 2 or 3.")

    @classmethod
    def stages(cls, view_type: int) -> tuple[str, ...]:
        """The lifecycle stages a view type selects."""
        if view_type == cls.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if view_type == cls.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        if view_type == cls.ALL:
            return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)
        from minitrack.exceptions import MinitrackException

        raise MinitrackException(
            f"Invalid run_view_type {view_type!r}: use ViewType.ACTIVE_ONLY (1), "
            "ViewType.DELETED_ONLY (2) or ViewType.ALL (3)."
        )


class RunStatus:
    """Run statuses. Like MLflow, constants are ints; RunInfo.status holds the name."""

    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    _NAMES = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}

    @classmethod
    def from_string(cls, status_str: str) -> int:
        try:
            return cls._NAMES[status_str]
        except (KeyError, TypeError):
            from minitrack.exceptions import MinitrackException

            raise MinitrackException(
                f"Invalid run status {status_str!r}: use one of {', '.join(cls._NAMES)}."
            ) from None

    @classmethod
    def to_string(cls, status: int) -> str:
        for name, value in cls._NAMES.items():
            if value == status:
                return name
        from minitrack.exceptions import MinitrackException

        raise MinitrackException(f"Invalid run status {status!r}: use an int from 1 to 5.")

    @classmethod
    def is_terminated(cls, status: int | str) -> bool:
        if isinstance(status, str):
            status = cls.from_string(status)
        return status in (cls.FINISHED, cls.FAILED, cls.KILLED)

    @classmethod
    def all_status(cls) -> list[int]:
        return list(cls._NAMES.values())


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    run_id: str | None = None


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


@dataclass(frozen=True)
class ExperimentTag:
    key: str
    value: str


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    lifecycle_stage: str
    artifact_uri: str
    run_name: str | None = None

    @property
    def run_uuid(self) -> str:
        """MLflow's older name for ``run_id``."""
        return self.run_id


class RunData:
    """A run's latest metrics, params and tags, as dicts (the objects are kept too)."""

    __slots__ = ("_metric_objs", "metrics", "params", "tags")

    def __init__(
        self,
        metrics: list[Metric] | None = None,
        params: list[Param] | None = None,
        tags: list[RunTag] | None = None,
    ) -> None:
        self._metric_objs = list(metrics or [])
        self.metrics = {m.key: m.value for m in self._metric_objs}
        self.params = {p.key: p.value for p in params or []}
        self.tags = {t.key: t.value for t in tags or []}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunData) and (self.metrics, self.params, self.tags) == (
            other.metrics,
            other.params,
            other.tags,
        )

    def __repr__(self) -> str:
        return f"<RunData: metrics={self.metrics!r}, params={self.params!r}, tags={self.tags!r}>"


@dataclass
class RunInputs:
    dataset_inputs: list = field(default_factory=list)


class Run:
    """A run: ``info`` (RunInfo), ``data`` (RunData) and ``inputs`` (empty in minitrack)."""

    __slots__ = ("_info", "_data", "_inputs")

    def __init__(
        self,
        run_info: RunInfo,
        run_data: RunData | None = None,
        run_inputs: RunInputs | None = None,
    ) -> None:
        self._info = run_info
        self._data = run_data if run_data is not None else RunData()
        self._inputs = run_inputs if run_inputs is not None else RunInputs()

    @property
    def info(self) -> RunInfo:
        return self._info

    @property
    def data(self) -> RunData:
        return self._data

    @property
    def inputs(self) -> RunInputs:
        return self._inputs

    def to_dictionary(self) -> dict:
        info = self.info
        return {
            "info": {
                "run_id": info.run_id,
                "run_uuid": info.run_id,
                "run_name": info.run_name,
                "experiment_id": info.experiment_id,
                "user_id": info.user_id,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "artifact_uri": info.artifact_uri,
                "lifecycle_stage": info.lifecycle_stage,
            },
            "data": {
                "metrics": dict(self.data.metrics),
                "params": dict(self.data.params),
                "tags": dict(self.data.tags),
            },
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and (self.info, self.data) == (other.info, other.data)

    def __repr__(self) -> str:
        return f"<Run: data={self.data!r}, info={self.info!r}>"


@dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing; ``path`` is relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: int | None


class PagedList(list):
    """A page of results; ``token`` fetches the next page (``None`` on the last)."""

    def __init__(self, items, token: str | None) -> None:
        super().__init__(items)
        self.token = token
