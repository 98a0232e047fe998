"""``copy_store``: one store's experiments, runs and registry into another."""

from __future__ import annotations

from minitrack.copy import registry, runs
from minitrack.copy.bookkeeping import CopyReport, Progress
from minitrack.copy.paging import every
from minitrack.entities import LifecycleStage, ViewType
from minitrack.exceptions import MinitrackException


def copy_store(
    source,
    target,
    experiments: list[str] | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy ``experiments`` (names; all active ones by default) and the registry from the
    ``source`` client's store into the ``target`` client's.

    Idempotent and resumable: what the target already holds from this source is found by
    its ``minitrack.copied_from`` tags and not copied again. A run that fails is recorded
    in ``report.failed`` and the others still go. ``dry_run`` writes nothing and reports
    what would be copied (``created``/``updated``/``skipped``).
    """
    progress = progress or Progress()
    source_id, target_id = source.get_store_id(), target.get_store_id()
    if source_id == target_id:
        raise MinitrackException(
            f"Refusing to copy a store into itself ({source.tracking_uri} and "
            f"{target.tracking_uri} are the same store, id {source_id}). Pass another --to."
        )
    report = CopyReport(
        source.tracking_uri, target.tracking_uri, source_id, target_id, dry_run=dry_run
    )
    chosen = _experiments(source, experiments)
    plans = []
    for exp in chosen:
        dst = target.get_experiment_by_name(exp.name)
        if dst is not None and dst.lifecycle_stage == LifecycleStage.DELETED:
            raise MinitrackException(
                f"Experiment {exp.name!r} is deleted in the target store: restore it there "
                "(MlflowClient.restore_experiment) or delete it for good, then copy again."
            )
        dst_id = None if dst is None else dst.experiment_id
        todo = runs.source_runs(source, exp.experiment_id)
        copies = runs.existing_copies(target, dst_id, source_id)
        plans.append((exp, dst, todo, copies))
    progress.runs_total(sum(len(p[2]) for p in plans))

    for exp, dst, todo, copies in plans:
        if dry_run:
            _plan_experiment(exp, dst, todo, copies, report, progress)
            continue
        dst_id = _ensure_experiment(target, exp, dst)
        report.experiments[exp.experiment_id] = dst_id
        for src in todo:
            copy = copies.get(src.info.run_id)
            if not runs.needs_copy(copy):
                report.runs[src.info.run_id] = copy.info.run_id
                report.skipped.append(src.info.run_id)
            else:
                try:
                    runs.copy_run(source, target, src, dst_id, copy, report, progress)
                except Exception as e:  # one broken run must not stop the others
                    report.failed[src.info.run_id] = f"{type(e).__name__}: {e}"
                    progress.note(f"run {src.info.run_id} failed: {e}")
            progress.run_done()
        runs.copy_logged_models(source, target, exp.experiment_id, dst_id, report)

    registry.copy_registry(source, target, report, only_mapped=experiments is not None)
    return report


def _experiments(source, names: list[str] | None) -> list:
    found = every(source.search_experiments, view_type=ViewType.ACTIVE_ONLY, max_results=1000)
    if not names:
        return found
    by_name = {e.name: e for e in found}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise MinitrackException(
            f"No experiment named {', '.join(map(repr, unknown))} in {source.tracking_uri}. "
            f"Its experiments: {', '.join(sorted(by_name)) or 'none'}."
        )
    return [by_name[n] for n in dict.fromkeys(names)]


def _ensure_experiment(target, exp, dst) -> str:
    if dst is None:
        return target.create_experiment(exp.name, tags=dict(exp.tags))
    for key, value in exp.tags.items():
        if dst.tags.get(key) != value:
            target.set_experiment_tag(dst.experiment_id, key, value)
    return dst.experiment_id


def _plan_experiment(exp, dst, todo, copies, report, progress) -> None:
    report.experiments[exp.experiment_id] = None if dst is None else dst.experiment_id
    for src in todo:
        copy = copies.get(src.info.run_id)
        action = runs.run_would_copy(copy)
        {"create": report.created, "update": report.updated, "skip": report.skipped}[action].append(
            src.info.run_id
        )
        if copy is not None:
            report.runs[src.info.run_id] = copy.info.run_id
        progress.run_done()
