"""Every name in ``minitrack.fluent.__all__``, driven with generated arguments.

Same invariant as for the client: success, or a MinitrackException with a message that
changed nothing on disk. Logging calls run inside an active run (as a student's do):
without one, MLflow's fluent API starts a run first, which is a change by design.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitrack
from minitrack import MinitrackException, fluent

from . import strategies as s


@pytest.fixture
def active(store):
    """The store with one active run (restarted by ``ensure`` whenever a call ended it)."""

    def ensure():
        if fluent.active_run() is None:
            fluent.start_run(experiment_id=store.experiment_id)
        return fluent.active_run().info.run_id

    store.ensure_run = ensure
    return store


def _run_ids(store):
    return s.run_ids(store.run_id, store.deleted_run_id, store.running_run_id)


def _end_all():
    while fluent.active_run():
        fluent.end_run()


def test_every_public_name_has_a_property_test():
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    missing = set(fluent.__all__) - tested
    assert not missing, f"untested fluent names: {sorted(missing)}"


# -- tracking URI and experiments --------------------------------------------------------


@given(uri=st.one_of(st.none(), s.any_text, s.odd_objects, st.just("sqlite:///x.db")))
def test_set_tracking_uri(store, uri):
    try:
        store.call(minitrack.set_tracking_uri, uri)
    finally:
        minitrack.set_tracking_uri(store.tracking_uri)


@given(data=st.data())
def test_get_tracking_uri(store, data):
    assert minitrack.get_tracking_uri() == store.tracking_uri


@given(data=st.data())
def test_is_tracking_uri_set(store, data):
    assert minitrack.is_tracking_uri_set()


@given(
    name=st.one_of(st.none(), st.sampled_from(["hardening", "Default"]), s.keys, s.any_text),
    experiment_id=st.one_of(st.none(), s.experiment_ids("1", "2")),
)
def test_set_experiment(store, name, experiment_id):
    store.call(minitrack.set_experiment, name, experiment_id)


@given(
    name=st.one_of(s.any_text, s.keys),
    tags=st.one_of(st.none(), st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects),
)
def test_create_experiment(store, name, tags):
    store.call(minitrack.create_experiment, name, None, tags)


@given(experiment_id=s.experiment_ids("1", "2"))
def test_get_experiment(store, experiment_id):
    store.call(minitrack.get_experiment, experiment_id)


@given(name=st.one_of(st.just("hardening"), s.keys, s.any_text))
def test_get_experiment_by_name(store, name):
    store.call(minitrack.get_experiment_by_name, name)


@given(experiment_id=s.experiment_ids("1", "2"))
def test_delete_experiment(store, experiment_id):
    store.call(minitrack.delete_experiment, experiment_id)


@given(
    view_type=s.view_types,
    max_results=s.max_results,
    filter_string=s.filters(s.EXPERIMENT_PREFIXES),
    order_by=s.order_bys(s.EXPERIMENT_PREFIXES),
)
def test_search_experiments(store, view_type, max_results, filter_string, order_by):
    store.call(minitrack.search_experiments, view_type, max_results, filter_string, order_by)


@given(key=s.keys, value=s.values)
def test_set_experiment_tag(store, key, value):
    minitrack.set_experiment(experiment_id=store.experiment_id)
    store.call(minitrack.set_experiment_tag, key, value)


@given(tags=st.one_of(st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects))
def test_set_experiment_tags(store, tags):
    minitrack.set_experiment(experiment_id=store.experiment_id)
    store.call(minitrack.set_experiment_tags, tags)


# -- runs ---------------------------------------------------------------------------------


@given(
    data=st.data(),
    resume=st.booleans(),
    experiment_id=st.one_of(st.none(), s.experiment_ids("1", "2")),
    run_name=st.one_of(st.none(), s.any_text, s.odd_objects),
    nested=st.booleans(),
    parent=st.booleans(),
    tags=st.one_of(st.none(), st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects),
    description=st.one_of(st.none(), s.any_text, s.odd_objects),
)
def test_start_run(store, data, resume, experiment_id, run_name, nested, parent, tags,
                   description):  # fmt: skip
    run_id = data.draw(_run_ids(store)) if resume else None
    parent_run_id = data.draw(_run_ids(store)) if parent else None
    outer = data.draw(st.booleans(), label="inside another run")
    try:
        if outer:
            fluent.start_run(experiment_id=store.experiment_id)
        store.call(
            minitrack.start_run, run_id, experiment_id, run_name, nested, parent_run_id, tags,
            description,
        )  # fmt: skip
    finally:
        _end_all()


@given(status=s.statuses, with_run=st.booleans())
def test_end_run(active, status, with_run):
    if with_run:
        active.ensure_run()
    store = active
    store.call(minitrack.end_run, status)
    _end_all()


@given(failure=st.sampled_from([None, ValueError, KeyboardInterrupt, MinitrackException]))
def test_ActiveRun(store, failure):
    try:
        with minitrack.start_run(experiment_id=store.experiment_id) as run:
            assert isinstance(run, minitrack.ActiveRun)
            if failure is not None:
                raise failure("stop")
    except (ValueError, KeyboardInterrupt, MinitrackException):
        pass
    expected = {None: "FINISHED", KeyboardInterrupt: "KILLED"}.get(failure, "FAILED")
    assert minitrack.get_run(run.info.run_id).info.status == expected
    assert minitrack.active_run() is None


@given(with_run=st.booleans())
def test_active_run(active, with_run):
    if with_run:
        run_id = active.ensure_run()
        assert minitrack.active_run().info.run_id == run_id
    else:
        _end_all()
        assert minitrack.active_run() is None


@given(with_run=st.booleans())
def test_last_active_run(active, with_run):
    if with_run:
        active.ensure_run()
    else:
        _end_all()
    active.call(minitrack.last_active_run)


@given(data=st.data())
def test_get_run(store, data):
    store.call(minitrack.get_run, data.draw(_run_ids(store)))


@given(data=st.data())
def test_delete_run(store, data):
    store.call(minitrack.delete_run, data.draw(_run_ids(store)))


# -- logging (inside an active run) -------------------------------------------------------


@given(key=s.keys, value=s.values)
def test_log_param(active, key, value):
    active.ensure_run()
    active.call(minitrack.log_param, key, value)


@given(params=st.one_of(st.dictionaries(s.keys, s.values, max_size=4), s.odd_objects))
def test_log_params(active, params):
    active.ensure_run()
    active.call(minitrack.log_params, params)


@given(
    key=s.keys,
    value=s.metric_values,
    step=st.one_of(st.none(), s.tricky_ints, s.odd_objects),
    timestamp=s.timestamps,
)
def test_log_metric(active, key, value, step, timestamp):
    active.ensure_run()
    active.call(minitrack.log_metric, key, value, step, timestamp=timestamp)


@given(
    metrics=st.one_of(st.dictionaries(s.keys, s.metric_values, max_size=4), s.odd_objects),
    step=st.one_of(st.none(), s.tricky_ints, s.odd_objects),
    timestamp=s.timestamps,
)
def test_log_metrics(active, metrics, step, timestamp):
    active.ensure_run()
    active.call(minitrack.log_metrics, metrics, step, timestamp=timestamp)


@given(key=s.keys, value=s.values)
def test_set_tag(active, key, value):
    active.ensure_run()
    active.call(minitrack.set_tag, key, value)


@given(tags=st.one_of(st.dictionaries(s.keys, s.values, max_size=4), s.odd_objects))
def test_set_tags(active, tags):
    active.ensure_run()
    active.call(minitrack.set_tags, tags)


@given(key=st.one_of(st.just("mlflow.runName"), s.keys))
def test_delete_tag(active, key):
    active.ensure_run()
    active.call(minitrack.delete_tag, key)


def _source(store, kind: str) -> str:
    base = store.folder.parent / f"{store.folder.name}-sources"
    (base / "folder").mkdir(parents=True, exist_ok=True)
    (base / "folder" / "x.txt").write_text("x")
    return {"file": str(base / "folder" / "x.txt"), "folder": str(base / "folder")}.get(
        kind, str(base / "missing")
    )


@given(kind=st.sampled_from(["file", "folder", "missing"]), artifact_path=s.optional_paths)
def test_log_artifact(active, kind, artifact_path):
    active.ensure_run()
    active.call(minitrack.log_artifact, _source(active, kind), artifact_path)


@given(kind=st.sampled_from(["file", "folder", "missing"]), artifact_path=s.optional_paths)
def test_log_artifacts(active, kind, artifact_path):
    active.ensure_run()
    active.call(minitrack.log_artifacts, _source(active, kind), artifact_path)


@given(text=st.one_of(s.any_text, s.odd_objects), artifact_file=s.paths)
def test_log_text(active, text, artifact_file):
    active.ensure_run()
    active.call(minitrack.log_text, text, artifact_file)


@given(
    dictionary=st.one_of(st.dictionaries(s.any_text, s.any_text, max_size=3), s.odd_objects),
    artifact_file=st.one_of(s.paths, st.just("d.yaml"), st.just("d.json")),
)
def test_log_dict(active, dictionary, artifact_file):
    active.ensure_run()
    active.call(minitrack.log_dict, dictionary, artifact_file)


@given(figure=st.one_of(s.odd_objects, s.any_text), artifact_file=s.paths)
def test_log_figure(active, figure, artifact_file):
    active.ensure_run()
    active.call(minitrack.log_figure, figure, artifact_file)


@given(artifact_path=s.optional_paths)
def test_get_artifact_uri(active, artifact_path):
    active.ensure_run()
    active.call(minitrack.get_artifact_uri, artifact_path)


# -- search ---------------------------------------------------------------------------------


@given(
    experiment_ids=st.one_of(st.none(), st.lists(s.experiment_ids("1", "2"), max_size=3)),
    filter_string=s.filters(),
    view_type=s.view_types,
    max_results=s.max_results,
    order_by=s.order_bys(),
    output_format=st.sampled_from(["list", "list", "list", "pandas", "csv"]),
    search_all=st.booleans(),
    names=st.one_of(st.none(), st.lists(st.one_of(st.just("hardening"), s.any_text), max_size=2)),
)
def test_search_runs(store, experiment_ids, filter_string, view_type, max_results, order_by,
                     output_format, search_all, names):  # fmt: skip
    store.call(
        minitrack.search_runs, experiment_ids, filter_string, view_type, max_results, order_by,
        output_format, search_all, names,
    )  # fmt: skip
