"""``gc``: permanently delete deleted runs and experiments with their artifacts, as
``mlflow gc`` does, with one difference a course needs: whatever a registered model version
still names as its source is kept, and the plan says so.

:func:`plan` looks (it changes nothing) and :func:`collect` acts on a plan. Store rows go
through the store's ``purge_run``/``purge_experiment``; files are removed only inside a
run's artifact folder or an experiment's artifact location, both resolved with
``resolve_inside`` (a symlink out of them is refused, never followed).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field

from minitrack import validation
from minitrack.artifacts.paths import ArtifactPathError, resolve_inside
from minitrack.artifacts.runs import repository_for
from minitrack.exceptions import INVALID_PARAMETER_VALUE, MinitrackException
from minitrack.uris import is_local_uri, local_path_from_uri

DEFAULT_EXPERIMENT_ID = "0"
_NUMBER = r"\d+(?:\.\d+)?"
_AGE = re.compile(
    rf"^(?:(?P<d>{_NUMBER})d)?(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m)?(?:(?P<s>{_NUMBER})s)?$"
)
_MAX_AGE_MS = 10_000 * 365 * 86400 * 1000  # ten thousand years: anything longer is a typo


def parse_age(text: str) -> int:
    """``30d``, ``12h``, ``2d8h5m20s`` (MLflow's ``--older-than``) in milliseconds."""
    match = _AGE.match(text.strip()) if isinstance(text, str) else None
    if not text or match is None or not any(match.groupdict().values()):
        raise MinitrackException(
            f"Cannot read the age {text!r}: write days, hours, minutes and seconds like "
            "'30d', '12h' or '2d8h5m20s'.",
            INVALID_PARAMETER_VALUE,
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = (
        parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60
    ) + parts.get("s", 0)
    if seconds * 1000 > _MAX_AGE_MS:
        raise MinitrackException(
            f"The age {text!r} is longer than anything a store holds: use e.g. '30d'.",
            INVALID_PARAMETER_VALUE,
        )
    return int(seconds * 1000)


@dataclass
class Purge:
    kind: str  # "run" or "experiment"
    id: str
    label: str  # how the plan shows it
    folders: list[str] = field(default_factory=list)  # artifact folders to remove
    size: int = 0  # bytes in those folders
    runs: list[str] = field(default_factory=list)  # an experiment's runs


@dataclass
class Kept:
    kind: str
    id: str
    reason: str


@dataclass
class GcPlan:
    runs: list[Purge] = field(default_factory=list)
    experiments: list[Purge] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.runs) + sum(p.size for p in self.experiments)

    @property
    def empty(self) -> bool:
        return not self.runs and not self.experiments


def folder_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _local(uri: str | None) -> str | None:
    if not uri or not is_local_uri(uri):
        return None
    return os.path.abspath(local_path_from_uri(uri))


def _inside(path: str | None, folder: str | None) -> bool:
    if not path or not folder:
        return False
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _all_versions(client) -> list:
    versions, token = [], None
    while True:
        page = client.search_model_versions(page_token=token)
        versions.extend(page)
        token = page.token
        if not token:
            return versions


def _run_folder(client, run_id: str, plan: GcPlan) -> str | None:
    """The run's artifact folder on disk, checked inside the experiment's location."""
    run = client.get_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    try:
        repository = repository_for(
            run, experiment.artifact_location, client._artifacts_destination
        )
        return resolve_inside(repository.root, "", repository.boundary)
    except (ArtifactPathError, MinitrackException) as error:
        plan.notes.append(f"run {run_id}: its artifacts are left where they are ({error})")
        return None


def _users(versions, run_id: str, folder: str | None) -> list[str]:
    return [
        f"{v.name} version {v.version}"
        for v in versions
        if v.run_id == run_id
        or (v.source or "").startswith(f"runs:/{run_id}/")
        or _inside(_local(v.storage_location), folder)
    ]


def plan(client, older_than_ms: int | None = None, experiment_ids=None, now_ms=None) -> GcPlan:
    """What gc would delete, and what it keeps and why; nothing is changed."""
    ids = None
    if experiment_ids is not None:
        ids = [validation.experiment_id(e) for e in experiment_ids]
        for experiment_id in ids:
            client.get_experiment(experiment_id)  # an unknown id is an error, as in MLflow
    before = None if older_than_ms is None else (now_ms or int(time.time() * 1000)) - older_than_ms
    versions = _all_versions(client)
    result = GcPlan()
    planned: dict[str, Purge] = {}

    def consider_run(run_id: str, label: str) -> bool:
        """Plan the run's deletion; False when a model version keeps it."""
        if run_id in planned:
            return True
        folder = _run_folder(client, run_id, result)
        users = _users(versions, run_id, folder)
        if users:
            result.kept.append(
                Kept(
                    "run",
                    run_id,
                    f"{', '.join(users)} names it as its source (delete that version to free it)",
                )
            )
            return False
        exists = folder is not None and os.path.isdir(folder)
        planned[run_id] = Purge(
            "run",
            run_id,
            label,
            [folder] if exists else [],
            folder_size(folder) if exists else 0,
        )
        return True

    experiments = client.deleted_experiments(before, ids)
    for experiment in experiments:
        if experiment.experiment_id == DEFAULT_EXPERIMENT_ID:
            result.kept.append(
                Kept("experiment", "0", "the Default experiment stays (restore it instead)")
            )
            continue
        runs = client.deleted_runs(None, [experiment.experiment_id])
        label = f"run of experiment {experiment.experiment_id} {experiment.name!r}"
        free = [consider_run(r.run_id, label) for r in runs]
        location = _local(experiment.artifact_location)
        models = client.search_logged_models([experiment.experiment_id])
        model_ids = {m.model_id for m in models}
        users = [
            f"{v.name} version {v.version}"
            for v in versions
            if v.model_id in model_ids or _inside(_local(v.storage_location), location)
        ]
        if not all(free) or users:
            why = (
                f"{', '.join(users)} names a model in it as its source"
                if users
                else "a run in it is kept (see above)"
            )
            result.kept.append(Kept("experiment", experiment.experiment_id, why))
            continue
        folders = []
        for model in models:
            folder = _local(model.artifact_location)
            if folder and _inside(folder, location) and os.path.isdir(folder):
                folders.append(folder)
        result.experiments.append(
            Purge(
                "experiment",
                experiment.experiment_id,
                f"experiment {experiment.experiment_id} {experiment.name!r} with "
                f"{len(runs)} run{'' if len(runs) == 1 else 's'}"
                + (
                    f" and {len(models)} logged model{'' if len(models) == 1 else 's'}"
                    if models
                    else ""
                ),
                folders,
                sum(folder_size(f) for f in folders),
                [r.run_id for r in runs],
            )
        )
    for run in client.deleted_runs(before, ids):
        consider_run(run.run_id, f"run of experiment {run.experiment_id}")
    result.runs = list(planned.values())
    return result


def _remove(folder: str, boundary: str | None) -> None:
    """Remove ``folder`` (checked again inside ``boundary``) and then its parent when that is
    left empty (the run's ``<run_id>/`` above ``artifacts/``); never anything else."""
    if boundary is not None:
        relative = os.path.relpath(folder, boundary)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise ArtifactPathError(f"{folder} lies outside {boundary}: not deleted")
        resolve_inside(boundary, "" if relative == "." else relative.replace(os.sep, "/"))
    if os.path.islink(folder):
        os.unlink(folder)
    elif os.path.isdir(folder):
        shutil.rmtree(folder)
    parent = os.path.dirname(folder)
    with contextlib.suppress(OSError):
        os.rmdir(parent)  # only when empty


def collect(client, gc_plan: GcPlan, echo=print) -> None:
    """Carry out ``gc_plan``: artifacts first, then the store's rows."""
    for purge in gc_plan.runs:
        if purge.folders:
            folder = _run_folder(client, purge.id, gc_plan)  # resolved (and checked) again
            if folder is not None:
                _remove(folder, None)
        client.purge_run(purge.id)
        echo(f"deleted run {purge.id} ({human_size(purge.size)} of artifacts)")
    for purge in gc_plan.experiments:
        experiment = client.get_experiment(purge.id)
        location = _local(experiment.artifact_location)
        client.purge_experiment(purge.id)
        for folder in purge.folders:
            _remove(folder, location)
        if location and os.path.isdir(location):
            for root, _dirs, _files in os.walk(location, topdown=False):
                with contextlib.suppress(OSError):
                    os.rmdir(root)  # empty folders only: anything else stays
        echo(f"deleted {purge.label}")
