"""Copy the model registry so that it keeps its meaning.

Versions are recreated in the source's order. The target numbers them itself, so where
the source has gaps (deleted versions) or the target already had versions of that model,
the numbers differ: tags, descriptions, stages and aliases then follow the version they
named, through the mapping the copy reports. Each copied version carries
``minitrack.copied_from = <store id>/<model name>/<source version>`` from the call that
creates it, which is how a second copy finds it.
"""

from __future__ import annotations

import warnings

from minitrack.copy.bookkeeping import COPIED_FROM, origin
from minitrack.copy.paging import every, quoted
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException


def copy_registry(source, target, report, *, only_mapped: bool) -> None:
    """Every registered model of ``source``. With ``only_mapped`` (some experiments were
    chosen), a model with a version from a run that was not copied is left out."""
    for model in every(source.search_registered_models, max_results=100):
        versions = sorted(
            every(
                source.search_model_versions,
                filter_string=f"name = {quoted(model.name)}",
                max_results=1000,
            ),
            key=lambda v: int(v.version),
        )
        unmapped = [v for v in versions if v.run_id and v.run_id not in report.runs]
        if only_mapped and unmapped:
            report.notes.append(
                f"registered model {model.name!r} not copied: version {unmapped[0].version} "
                f"comes from run {unmapped[0].run_id}, in an experiment not copied."
            )
            continue
        if report.dry_run:
            _plan_model(target, model, versions, report)
            continue
        _copy_model(source, target, model, versions, report)


def _existing_model(target, name: str):
    try:
        return target.get_registered_model(name)
    except MinitrackException as e:
        if e.error_code != RESOURCE_DOES_NOT_EXIST:
            raise
        return None


def _existing_versions(target, name: str, source_store_id: str) -> dict[int, object]:
    """Source version number -> the target's copy of it."""
    prefix = origin(source_store_id, name, "")
    found = {}
    for v in every(
        target.search_model_versions, filter_string=f"name = {quoted(name)}", max_results=1000
    ):
        mark = v.tags.get(COPIED_FROM, "")
        if mark.startswith(prefix) and mark[len(prefix) :].isdigit():
            found[int(mark[len(prefix) :])] = v
    return found


def _plan_model(target, model, versions, report) -> None:
    have = {} if _existing_model(target, model.name) is None else None
    if have is None:
        have = _existing_versions(target, model.name, report.source_store_id)
    else:
        report.models_created += 1
    report.versions_created += sum(1 for v in versions if int(v.version) not in have)


def _copy_model(source, target, model, versions, report) -> None:
    name = model.name
    dst = _existing_model(target, name)
    if dst is None:
        target.create_registered_model(name, tags=dict(model.tags), description=model.description)
        report.models_created += 1
        have: dict = {}
    else:
        if (model.description or "") != (dst.description or ""):
            target.update_registered_model(name, description=model.description)
        for key, value in model.tags.items():
            if dst.tags.get(key) != value:
                target.set_registered_model_tag(name, key, value)
        have = _existing_versions(target, name, report.source_store_id)

    mapping = report.versions.setdefault(name, {})
    for v in versions:  # in the source's order, so the target numbers them the same way
        number = int(v.version)
        copy = have.get(number)
        if copy is None:
            copy = _create_version(target, v, report)
            report.versions_created += 1
        else:
            for key, value in v.tags.items():
                if copy.tags.get(key) != value:
                    target.set_model_version_tag(name, copy.version, key, value)
            if (v.description or "") != (copy.description or ""):
                target.update_model_version(name, copy.version, description=v.description)
        mapping[number] = int(copy.version)
        if (copy.current_stage or "None") != (v.current_stage or "None"):
            with warnings.catch_warnings():  # stages are deprecated, and still copied
                warnings.simplefilter("ignore", FutureWarning)
                target.transition_model_version_stage(name, copy.version, v.current_stage)

    aliases = source.get_registered_model(name).aliases
    current = target.get_registered_model(name).aliases
    for alias, number in aliases.items():
        wanted = mapping.get(int(number))
        if wanted is not None and str(current.get(alias)) != str(wanted):
            target.set_registered_model_alias(name, alias, wanted)


def _create_version(target, v, report):
    """A new version on the target whose source points at the copied run or model."""
    run_id = report.runs.get(v.run_id) if v.run_id else None
    model_id = report.logged_models.get(v.model_id) if v.model_id else None
    source = _mapped_source(v, run_id, model_id, report)
    tags = {k: val for k, val in v.tags.items() if k != COPIED_FROM}
    tags[COPIED_FROM] = origin(report.source_store_id, v.name, v.version)
    return target.create_model_version(
        v.name,
        source,
        run_id=run_id,
        tags=tags,
        description=v.description,
        model_id=model_id,
    )


def _mapped_source(v, run_id, model_id, report) -> str:
    source = v.source or ""
    if source.startswith("models:/m-") and v.model_id:
        if model_id is not None:
            return f"models:/{model_id}"
    elif source.startswith("runs:/") and run_id is not None:
        rest = source[len("runs:/") :].split("/", 1)
        return f"runs:/{run_id}" + (f"/{rest[1]}" if len(rest) > 1 else "")
    elif run_id is None and v.run_id is None:
        return source  # a model folder outside any run: the same path
    report.notes.append(
        f"model {v.name!r} version {v.version}: its source {source!r} could not be mapped "
        "to the copy; the version keeps it."
    )
    return source
