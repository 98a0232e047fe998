"""The objects minitrack hands back: MLflow's entity names, fields and properties.

They are plain value objects. ``Run.data.metrics`` is ``{key: latest value}``,
``Run.data.params`` and ``Run.data.tags`` are ``{key: str}``, as in MLflow.
"""

from __future__ import annotations


class _Record:
    """A small value object: fields in ``__slots__``, compared and shown by value.

    (Plain classes rather than dataclasses: ``dataclasses`` pulls in ``inspect``,
    which would double the cost of ``import minitrack``.)
    """

    __slots__ = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class _FrozenRecord(_Record):
    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __hash__(self) -> int:
        return hash(self._values())

    def _init(self, **values) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


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


class Metric(_FrozenRecord):
    """One logged metric value; ``timestamp`` in epoch milliseconds."""

    __slots__ = ("key", "value", "timestamp", "step", "run_id")

    def __init__(
        self, key: str, value: float, timestamp: int, step: int = 0, run_id: str | None = None
    ) -> None:
        self._init(key=key, value=value, timestamp=timestamp, step=step, run_id=run_id)


class Param(_FrozenRecord):
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self._init(key=key, value=value)


class RunTag(_FrozenRecord):
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self._init(key=key, value=value)


class ExperimentTag(_FrozenRecord):
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self._init(key=key, value=value)


class Experiment(_Record):
    __slots__ = (
        "experiment_id",
        "name",
        "artifact_location",
        "lifecycle_stage",
        "tags",
        "creation_time",
        "last_update_time",
    )

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: str = LifecycleStage.ACTIVE,
        tags: dict[str, str] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
    ) -> None:
        self.experiment_id = experiment_id
        self.name = name
        self.artifact_location = artifact_location
        self.lifecycle_stage = lifecycle_stage
        self.tags = {} if tags is None else tags
        self.creation_time = creation_time
        self.last_update_time = last_update_time


class RunInfo(_Record):
    __slots__ = (
        "run_id",
        "experiment_id",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
        "artifact_uri",
        "run_name",
    )

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str,
        status: str,
        start_time: int | None,
        end_time: int | None,
        lifecycle_stage: str,
        artifact_uri: str,
        run_name: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.user_id = user_id
        self.status = status
        self.start_time = start_time
        self.end_time = end_time
        self.lifecycle_stage = lifecycle_stage
        self.artifact_uri = artifact_uri
        self.run_name = run_name

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


class RunInputs(_Record):
    __slots__ = ("dataset_inputs",)

    def __init__(self, dataset_inputs: list | None = None) -> None:
        self.dataset_inputs = [] if dataset_inputs is None else dataset_inputs


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


class FileInfo(_FrozenRecord):
    """One entry of an artifact listing; ``path`` is relative to the run's artifact root."""

    __slots__ = ("path", "is_dir", "file_size")

    def __init__(self, path: str, is_dir: bool, file_size: int | None) -> None:
        self._init(path=path, is_dir=is_dir, file_size=file_size)


class PagedList(list):
    """A page of results; ``token`` fetches the next page (``None`` on the last)."""

    def __init__(self, items, token: str | None) -> None:
        super().__init__(items)
        self.token = token


# -- model registry and logged models (MLflow's names and fields) -------------------------


class ModelVersionStatus:
    """A model version's status; a local registry makes every version READY at once."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"

    @classmethod
    def all_status(cls) -> list[str]:
        return [cls.PENDING_REGISTRATION, cls.FAILED_REGISTRATION, cls.READY]


class ModelVersionStages:
    """The deprecated registry stages, in MLflow's spelling."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"
    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)
    # What archive_existing_versions may archive from, and get_latest_versions' default.
    ACTIVE = (STAGING, PRODUCTION)


class RegisteredModelTag(_FrozenRecord):
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self._init(key=key, value=value)


class ModelVersionTag(_FrozenRecord):
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: str) -> None:
        self._init(key=key, value=value)


class RegisteredModelAlias(_FrozenRecord):
    """An alias (``champion``) naming one version of a registered model."""

    __slots__ = ("alias", "version")

    def __init__(self, alias: str, version: int) -> None:
        self._init(alias=alias, version=version)


class ModelVersion(_Record):
    """One version of a registered model. ``version`` is an int, as MLflow's local store
    returns it; ``current_stage`` is the string ``'None'`` until a stage is set."""

    __slots__ = (
        "name",
        "version",
        "creation_timestamp",
        "last_updated_timestamp",
        "description",
        "user_id",
        "current_stage",
        "source",
        "run_id",
        "run_link",
        "status",
        "status_message",
        "tags",
        "aliases",
        "model_id",
        "storage_location",
    )

    def __init__(
        self,
        name: str,
        version: int,
        creation_timestamp: int | None = None,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        user_id: str | None = None,
        current_stage: str = ModelVersionStages.NONE,
        source: str | None = None,
        run_id: str | None = None,
        run_link: str | None = None,
        status: str = ModelVersionStatus.READY,
        status_message: str | None = None,
        tags: dict[str, str] | None = None,
        aliases: list[str] | None = None,
        model_id: str | None = None,
        storage_location: str | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.user_id = user_id
        self.current_stage = current_stage
        self.source = source
        self.run_id = run_id
        self.run_link = run_link
        self.status = status
        self.status_message = status_message
        self.tags = {} if tags is None else tags
        self.aliases = [] if aliases is None else aliases
        self.model_id = model_id
        self.storage_location = storage_location


class RegisteredModel(_Record):
    """A registered model; ``latest_versions`` holds the newest version in each stage and
    ``aliases`` maps alias -> version number."""

    __slots__ = (
        "name",
        "creation_timestamp",
        "last_updated_timestamp",
        "description",
        "latest_versions",
        "tags",
        "aliases",
    )

    def __init__(
        self,
        name: str,
        creation_timestamp: int | None = None,
        last_updated_timestamp: int | None = None,
        description: str | None = None,
        latest_versions: list[ModelVersion] | None = None,
        tags: dict[str, str] | None = None,
        aliases: dict[str, int] | None = None,
    ) -> None:
        self.name = name
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.latest_versions = [] if latest_versions is None else latest_versions
        self.tags = {} if tags is None else tags
        self.aliases = {} if aliases is None else aliases


class LoggedModelStatus:
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


class LoggedModel(_Record):
    """MLflow 3's logged model: what one log_model call wrote, with its own id ``m-<hex>``.

    ``artifact_location`` is the folder holding its MLmodel; ``metrics`` is a list of
    Metric, ``params`` and ``tags`` are dicts.
    """

    __slots__ = (
        "model_id",
        "experiment_id",
        "name",
        "artifact_location",
        "creation_timestamp",
        "last_updated_timestamp",
        "model_type",
        "source_run_id",
        "status",
        "status_message",
        "tags",
        "params",
        "metrics",
    )

    def __init__(
        self,
        model_id: str,
        experiment_id: str,
        name: str,
        artifact_location: str,
        creation_timestamp: int | None = None,
        last_updated_timestamp: int | None = None,
        model_type: str | None = None,
        source_run_id: str | None = None,
        status: str = LoggedModelStatus.READY,
        status_message: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        metrics: list[Metric] | None = None,
    ) -> None:
        self.model_id = model_id
        self.experiment_id = experiment_id
        self.name = name
        self.artifact_location = artifact_location
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.model_type = model_type
        self.source_run_id = source_run_id
        self.status = status
        self.status_message = status_message
        self.tags = {} if tags is None else tags
        self.params = {} if params is None else params
        self.metrics = [] if metrics is None else metrics

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"
