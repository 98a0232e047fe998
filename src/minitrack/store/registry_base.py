"""The registry half of the store interface: registered models, their versions and
aliases, MLflow 3's logged models, and the store's own id.

``AbstractStore`` (store/base.py) includes it, so every store answers these too. Like the
rest of the interface, arguments arrive validated by the client (names, versions as
ints, stages in MLflow's spelling, tags as ``(key, value)`` pairs); a store checks only
what needs its state (does the model, version or alias exist?) and changes nothing when
it refuses a call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from minitrack.entities import LoggedModel, ModelVersion, RegisteredModel


class AbstractRegistryStore(ABC):
    # -- registered models ----------------------------------------------------------------

    @abstractmethod
    def create_registered_model(
        self, name: str, tags: list[tuple[str, str]] | None, description: str | None
    ) -> RegisteredModel: ...

    @abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    @abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """The model with every version, tag and alias."""

    @abstractmethod
    def search_registered_models(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        offset: int,
    ) -> list[RegisteredModel]: ...

    @abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    @abstractmethod
    def get_latest_versions(self, name: str, stages: list[str] | None) -> list[ModelVersion]:
        """The newest version per stage (deprecated in MLflow, still answered)."""

    # -- model versions -------------------------------------------------------------------

    @abstractmethod
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: list[tuple[str, str]] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        storage_location: str | None = None,
        model_id: str | None = None,
        user_id: str | None = None,
    ) -> ModelVersion:
        """The next version of ``name``: numbers count up and are never given twice."""

    @abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def get_model_version_download_uri(self, name: str, version: int) -> str: ...

    @abstractmethod
    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion: ...

    @abstractmethod
    def transition_model_version_stage(
        self, name: str, version: int, stage: str, archive_existing_versions: bool
    ) -> ModelVersion: ...

    @abstractmethod
    def delete_model_version(self, name: str, version: int) -> None:
        """The version, its tags and the aliases that named it."""

    @abstractmethod
    def search_model_versions(
        self,
        filter_string: str | None,
        max_results: int | None,
        order_by: list[str] | None,
        offset: int,
    ) -> list[ModelVersion]: ...

    @abstractmethod
    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...

    # -- aliases --------------------------------------------------------------------------

    @abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version``, moving it when it named another one."""

    @abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # -- logged models (MLflow 3) ---------------------------------------------------------

    @abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: list[tuple[str, str]] | None = None,
        params: list[tuple[str, str]] | None = None,
        status: str = "READY",
        model_id: str | None = None,
    ) -> LoggedModel: ...

    @abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    @abstractmethod
    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel: ...

    @abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: list[tuple[str, str]]) -> None: ...

    @abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    @abstractmethod
    def log_logged_model_metrics(
        self, model_id: str, metrics: list[tuple[str, float, int, int, str | None]]
    ) -> None:
        """Metrics as ``(key, value, timestamp, step, run_id)``."""

    @abstractmethod
    def delete_logged_model(self, model_id: str) -> None: ...

    @abstractmethod
    def find_logged_models(self, source_run_id: str, name: str | None = None) -> list[LoggedModel]:
        """The logged models a run produced (named ``name``), newest first."""

    @abstractmethod
    def search_logged_models(
        self, experiment_ids: list[str], max_results: int | None, offset: int
    ) -> list[LoggedModel]: ...

    # -- the store itself -----------------------------------------------------------------

    @abstractmethod
    def get_store_id(self) -> str:
        """A stable id made when the store was created (``minitrack copy`` records it)."""
