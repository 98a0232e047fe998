"""Which artifact repository holds a run's artifacts, and where its boundary lies."""

from __future__ import annotations

from minitrack.artifacts.local import LocalArtifactRepository
from minitrack.entities import Run
from minitrack.exceptions import MinitrackException
from minitrack.store.base import AbstractStore
from minitrack.uris import is_local_uri


def _boundary(run: Run, experiment_location: str) -> str | None:
    """The experiment's artifact location, when the run's artifacts lie under it."""
    base = experiment_location.rstrip("/")
    if run.info.artifact_uri.startswith(base + "/"):
        return experiment_location
    return None


def repository_for(run: Run, experiment_location: str) -> LocalArtifactRepository:
    uri = run.info.artifact_uri or ""
    if not is_local_uri(uri):
        raise MinitrackException(
            f"Run {run.info.run_id} keeps its artifacts at {uri!r}, which minitrack cannot "
            "reach from here: it reads local folders."
        )
    return LocalArtifactRepository(uri, _boundary(run, experiment_location))


def run_repository(store: AbstractStore, run_id: str) -> LocalArtifactRepository:
    """The artifacts of run ``run_id`` (a validated id) in ``store``."""
    run = store.get_run(run_id)
    experiment = store.get_experiment(run.info.experiment_id)
    return repository_for(run, experiment.artifact_location)
