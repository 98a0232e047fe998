"""Copy one experiment's runs: info, params, tags, full metric histories, artifacts, and
the logged models they made.

A run is created on the target with its ``minitrack.copied_from`` tag in the same call, so
an interruption can never leave a copy that the next copy does not find. What follows is
written as "what the target lacks", so bringing a copy up to date (the source was still
RUNNING, or the last copy stopped midway) and a first copy are the same code.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter

from minitrack.context import MLFLOW_PARENT_RUN_ID, MLFLOW_RUN_NAME, MLFLOW_USER
from minitrack.copy.bookkeeping import BOOKKEEPING_TAGS, COPIED_FROM, COPY_STATE, origin
from minitrack.copy.paging import every, quoted
from minitrack.entities import Metric, Param, RunStatus, RunTag, ViewType
from minitrack.exceptions import MinitrackException

# A tracking server's limits for one runs/log-batch request (MLflow's own).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTRIES_PER_BATCH = 1000
RUNS_PAGE = 1000


def source_runs(source, experiment_id: str) -> list:
    """The experiment's active runs, each parent before its children."""
    runs = every(
        source.search_runs,
        experiment_ids=[experiment_id],
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=RUNS_PAGE,
        order_by=["attributes.start_time ASC"],
    )
    by_id = {r.info.run_id: r for r in runs}

    def depth(run, seen=()) -> int:
        parent = run.data.tags.get(MLFLOW_PARENT_RUN_ID)
        if parent not in by_id or parent in seen:
            return 0
        return 1 + depth(by_id[parent], (*seen, run.info.run_id))

    return sorted(runs, key=depth)  # stable: start time order within a depth


def existing_copies(target, experiment_id: str | None, source_store_id: str) -> dict:
    """Source run id -> the target's copy of it, for runs copied from this store."""
    if experiment_id is None:
        return {}
    prefix = origin(source_store_id, "")
    found = every(
        target.search_runs,
        experiment_ids=[experiment_id],
        filter_string=f"tags.`{COPIED_FROM}` LIKE {quoted(prefix + '%')}",
        run_view_type=ViewType.ALL,
        max_results=RUNS_PAGE,
    )
    return {r.data.tags[COPIED_FROM][len(prefix) :]: r for r in found}


def needs_copy(copy) -> bool:
    """False for a finished copy of a finished run (skipped); True otherwise."""
    if copy is None:
        return True
    state = copy.data.tags.get(COPY_STATE)
    return state is None or not RunStatus.is_terminated(state)


def copy_run(source, target, src, dst_experiment_id: str, copy, report, progress) -> str:
    """Make the target's copy of run ``src`` complete; returns the target run id."""
    src_id = src.info.run_id
    tags = _tags_to_copy(src, report)
    if copy is None:
        copy = _create(target, src, dst_experiment_id, report.source_store_id)
        have_params, have_tags, have_metrics, have_files = {}, dict(copy.data.tags), {}, {}
        report.created.append(src_id)
    else:
        copy = target.get_run(copy.info.run_id)
        have_params, have_tags = copy.data.params, copy.data.tags
        have_metrics = {
            key: target.get_metric_history(copy.info.run_id, key) for key in copy.data.metrics
        }
        have_files = dict(_files(target, copy.info.run_id))
        report.updated.append(src_id)
    dst_id = copy.info.run_id
    report.runs[src_id] = dst_id

    clash = [k for k, v in src.data.params.items() if have_params.get(k, v) != v]
    if clash:
        raise MinitrackException(
            f"param {clash[0]!r} is {have_params[clash[0]]!r} in the target's copy "
            f"{dst_id} and {src.data.params[clash[0]]!r} in the source, and params cannot "
            "change: delete the target's run (or that copy's experiment) and copy again."
        )
    params = [Param(k, v) for k, v in src.data.params.items() if k not in have_params]
    new_tags = [RunTag(k, v) for k, v in tags.items() if have_tags.get(k) != v]
    metrics = []
    for key in src.data.metrics:
        history = source.get_metric_history(src_id, key)
        metrics.extend(_missing(history, have_metrics.get(key, [])))
    for batch in batches(metrics, params, new_tags):
        target.log_batch(dst_id, *batch)

    _copy_artifacts(source, target, src_id, dst_id, have_files, report, progress)

    if src.info.run_name and copy.info.run_name != src.info.run_name:
        target.update_run(dst_id, name=src.info.run_name)
    if RunStatus.is_terminated(src.info.status):
        target.set_terminated(dst_id, src.info.status, src.info.end_time)
    # Last: only now is the copy known to be complete.
    target.set_tag(dst_id, COPY_STATE, src.info.status)
    return dst_id


def _create(target, src, experiment_id: str, source_store_id: str):
    info = src.info
    tags = {COPIED_FROM: origin(source_store_id, info.run_id), MLFLOW_USER: info.user_id}
    run = target.create_run(experiment_id, start_time=info.start_time, tags=tags,
                            run_name=info.run_name or None)  # fmt: skip
    # create_run takes the user from the mlflow.user tag; a run without that tag keeps
    # its user and loses the tag again, so the copy's tags are the source's.
    if MLFLOW_USER not in src.data.tags:
        target.delete_tag(run.info.run_id, MLFLOW_USER)
        run.data.tags.pop(MLFLOW_USER, None)
    return run


def _tags_to_copy(src, report) -> dict[str, str]:
    """The source's tags less bookkeeping, with the parent link pointing at the parent's
    copy (parents are copied first)."""
    tags = {k: v for k, v in src.data.tags.items() if k not in BOOKKEEPING_TAGS}
    parent = tags.get(MLFLOW_PARENT_RUN_ID)
    if parent is not None:
        if parent in report.runs:
            tags[MLFLOW_PARENT_RUN_ID] = report.runs[parent]
        else:
            del tags[MLFLOW_PARENT_RUN_ID]
            report.notes.append(
                f"run {src.info.run_id}: its parent {parent} was not copied (deleted, or in "
                "another experiment); the copy has no parent link."
            )
    if MLFLOW_RUN_NAME in tags and not src.info.run_name:
        tags.pop(MLFLOW_RUN_NAME)
    return tags


def _metric_key(m) -> tuple:
    value = "nan" if m.value != m.value else float(m.value)  # NaN never equals itself
    return (value, int(m.timestamp), int(m.step))


def _missing(history, have) -> list[Metric]:
    """The entries of ``history`` that ``have`` lacks, counted as a multiset (a metric may
    log the same value at the same step and time twice)."""
    left = Counter(_metric_key(m) for m in have)
    missing = []
    for m in history:
        k = _metric_key(m)
        if left[k]:
            left[k] -= 1
        else:
            missing.append(Metric(m.key, m.value, int(m.timestamp), int(m.step)))
    return missing


def batches(metrics: list, params: list, tags: list):
    """``(metrics, params, tags)`` lists within one request's limits: at most 100 params
    and tags, 1000 metrics and 1000 entries in all."""
    keyed = params + tags
    n_params = len(params)
    start_m = 0
    for start in range(0, len(keyed), MAX_PARAMS_TAGS_PER_BATCH):
        chunk = keyed[start : start + MAX_PARAMS_TAGS_PER_BATCH]
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTRIES_PER_BATCH - len(chunk))
        some = metrics[start_m : start_m + room]
        start_m += len(some)
        split = max(0, min(len(chunk), n_params - start))
        yield some, chunk[:split], chunk[split:]
    for start in range(start_m, len(metrics), MAX_METRICS_PER_BATCH):
        yield metrics[start : start + MAX_METRICS_PER_BATCH], [], []


def _files(client, run_id: str, path: str | None = None):
    """``(path, size)`` of every file under ``path`` of the run's artifacts."""
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            yield from _files(client, run_id, info.path)
        else:
            yield info.path, info.file_size


def _copy_artifacts(source, target, src_id, dst_id, have: dict, report, progress) -> None:
    """Every file of the source run the target run lacks (or has with another size),
    byte for byte, one file at a time through a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="minitrack-copy-") as tmp:
        for path, size in _files(source, src_id):
            if path in have and have[path] == size:
                continue
            local = source.download_artifacts(src_id, path, tmp)
            folder = os.path.dirname(path) or None
            target.log_artifact(dst_id, local, folder)
            copied = os.path.getsize(local)
            os.remove(local)
            report.bytes_copied += copied
            progress.bytes_done(copied)


# -- logged models ----------------------------------------------------------------------


def copy_logged_models(source, target, src_exp: str, dst_exp: str, report) -> None:
    """The experiment's logged models whose source run was copied; a model already
    copied (found by its copied_from tag) is left as it is."""
    src_models = every(source.search_logged_models, experiment_ids=[src_exp], max_results=100)
    if not src_models:
        return
    have = {}
    for m in every(target.search_logged_models, experiment_ids=[dst_exp], max_results=100):
        mark = m.tags.get(COPIED_FROM, "")
        if mark.startswith(report.source_store_id + "/"):
            have[mark.split("/", 1)[1]] = m.model_id
    for model in src_models:
        if model.model_id in have:
            report.logged_models[model.model_id] = have[model.model_id]
            continue
        run_id = report.runs.get(model.source_run_id) if model.source_run_id else None
        if model.source_run_id and run_id is None:
            report.notes.append(
                f"logged model {model.model_id}: its run {model.source_run_id} was not "
                "copied, so neither is the model."
            )
            continue
        location = _mapped_location(source, target, model, run_id)
        tags = {k: v for k, v in model.tags.items() if k != COPIED_FROM}
        tags[COPIED_FROM] = origin(report.source_store_id, model.model_id)
        made = target.create_logged_model(
            dst_exp,
            name=model.name,
            source_run_id=run_id,
            tags=tags,
            params=dict(model.params),
            model_type=model.model_type,
            artifact_location=location,
            model_id=model.model_id,  # a local target keeps it; a server makes its own
        )
        if not _inside(made.artifact_location, target, run_id):
            _upload_model_files(source, target, model, made, report)
        if model.status != made.status and model.status in ("READY", "FAILED"):
            target.finalize_logged_model(made.model_id, model.status)
        report.logged_models[model.model_id] = made.model_id


def _run_folder(client, run_id: str, location: str | None) -> str | None:
    """``location`` as a path inside the run's artifacts, or None when it is elsewhere."""
    root = client.get_run(run_id).info.artifact_uri.rstrip("/")
    location = (location or "").rstrip("/")
    return location[len(root) + 1 :] if location.startswith(root + "/") else None


def _inside(location: str | None, client, run_id: str | None) -> bool:
    return run_id is not None and _run_folder(client, run_id, location) is not None


def _mapped_location(source, target, model, run_id: str | None) -> str | None:
    """The copy's folder: the same place inside the copied run's artifacts."""
    if run_id is None:
        return None
    folder = _run_folder(source, model.source_run_id, model.artifact_location)
    if folder is None:
        return None
    return target.get_run(run_id).info.artifact_uri.rstrip("/") + "/" + folder


def _upload_model_files(source, target, model, made, report) -> None:
    """A server keeps a logged model's files in a folder of its own (MLflow 3), where
    ``models:/m-<id>`` loads them from: upload the model's folder there too."""
    folder = model.source_run_id and _run_folder(
        source, model.source_run_id, model.artifact_location
    )
    if not folder:
        report.notes.append(
            f"logged model {model.model_id}: its files are outside its run's artifacts, "
            "and were not copied."
        )
        return
    with tempfile.TemporaryDirectory(prefix="minitrack-copy-") as tmp:
        local = source.download_artifacts(model.source_run_id, folder, tmp)
        target.log_model_artifacts(made.model_id, local)
        report.bytes_copied += sum(
            os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(local) for f in files
        )


def run_would_copy(copy) -> str:
    """For --dry-run: 'create', 'update' or 'skip'."""
    if copy is None:
        return "create"
    return "update" if needs_copy(copy) else "skip"
