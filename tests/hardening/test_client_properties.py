"""Every public method of MlflowClient, driven with generated arguments.

The invariant (issue 11): a call either succeeds or raises MinitrackException with a
message, and a refused call leaves every table row and every artifact file as it was
(``PreparedStore.call``). Any other exception fails the test with its example.
"""

from __future__ import annotations

import inspect

from hypothesis import given
from hypothesis import strategies as st

from minitrack import MlflowClient
from minitrack.entities import Metric, Param, RunTag

from . import strategies as s

KNOWN_EXP = ("1", "2")


def _run_ids(store):
    return s.run_ids(store.run_id, store.deleted_run_id, store.running_run_id)


def _exp_ids():
    return s.experiment_ids(*KNOWN_EXP)


def pick_run(store, data):
    """One of the store's three runs, or a generated id (drawn inside the test)."""
    return data.draw(_run_ids(store), label="run_id")


def test_every_public_method_has_a_property_test():
    public = {
        name
        for name, member in inspect.getmembers(MlflowClient)
        if not name.startswith("_") and (callable(member) or isinstance(member, property))
    }
    from . import test_registry_properties

    tested = {
        name.removeprefix("test_")
        for module in (globals(), vars(test_registry_properties))
        for name in module
        if name.startswith("test_")
    }
    assert public <= tested, f"untested MlflowClient methods: {sorted(public - tested)}"


# -- experiments ------------------------------------------------------------------------


@given(data=st.data())
def test_tracking_uri(store, data):
    assert store.client.tracking_uri == store.tracking_uri
    assert isinstance(store.client.describe_store(), str)


@given(data=st.data())
def test_describe_store(store, data):
    assert str(store.db) in store.client.describe_store()


@given(
    name=st.one_of(s.any_text, s.keys, s.long_text(500)),
    location=st.one_of(st.none(), s.any_text, s.odd_objects),
    tags=st.one_of(st.none(), st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects),
)
def test_create_experiment(store, name, location, tags):
    if isinstance(location, str) and location:
        location = str(store.folder / "locations" / location.replace("\x00", ""))
    store.call(store.client.create_experiment, name, location, tags)


@given(experiment_id=_exp_ids())
def test_get_experiment(store, experiment_id):
    store.call(store.client.get_experiment, experiment_id)


@given(name=st.one_of(st.sampled_from(["hardening", "Default"]), s.keys, s.any_text))
def test_get_experiment_by_name(store, name):
    store.call(store.client.get_experiment_by_name, name)


@given(
    view_type=s.view_types,
    max_results=s.max_results,
    filter_string=s.filters(s.EXPERIMENT_PREFIXES),
    order_by=s.order_bys(s.EXPERIMENT_PREFIXES),
    page_token=s.page_tokens,
)
def test_search_experiments(store, view_type, max_results, filter_string, order_by, page_token):
    found, _ = store.call(
        store.client.search_experiments, view_type, max_results, filter_string, order_by,
        page_token,
    )  # fmt: skip
    if found is not None and found.token:
        store.call(
            store.client.search_experiments, view_type, max_results, filter_string, order_by,
            found.token,
        )  # fmt: skip


@given(experiment_id=_exp_ids())
def test_delete_experiment(store, experiment_id):
    store.call(store.client.delete_experiment, experiment_id)


@given(experiment_id=_exp_ids())
def test_restore_experiment(store, experiment_id):
    store.call(store.client.restore_experiment, experiment_id)


@given(experiment_id=_exp_ids(), name=st.one_of(s.any_text, s.keys))
def test_rename_experiment(store, experiment_id, name):
    store.call(store.client.rename_experiment, experiment_id, name)


@given(
    experiment_id=_exp_ids(),
    key=s.keys,
    value=st.one_of(s.values, s.long_text(20000)),
)
def test_set_experiment_tag(store, experiment_id, key, value):
    store.call(store.client.set_experiment_tag, experiment_id, key, value)


@given(experiment_id=_exp_ids(), key=st.one_of(st.just("team"), s.keys))
def test_delete_experiment_tag(store, experiment_id, key):
    store.call(store.client.delete_experiment_tag, experiment_id, key)


# -- runs ---------------------------------------------------------------------------------


@given(
    experiment_id=_exp_ids(),
    start_time=s.timestamps,
    tags=st.one_of(st.none(), st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects),
    run_name=st.one_of(st.none(), s.any_text, s.odd_objects, s.long_text(8000)),
)
def test_create_run(store, experiment_id, start_time, tags, run_name):
    store.call(store.client.create_run, experiment_id, start_time, tags, run_name)


@given(data=st.data())
def test_get_run(store, data):
    store.call(store.client.get_run, pick_run(store, data))


@given(data=st.data(), parent=st.one_of(s.any_text, st.just("0" * 32)))
def test_get_parent_run(store, data, parent):
    run_id = pick_run(store, data)
    store.call(store.client.get_parent_run, run_id)
    child, _ = store.call(store.client.create_run, "1", tags={"mlflow.parentRunId": parent})
    if child is not None:
        store.call(store.client.get_parent_run, child.info.run_id)


@given(data=st.data(), status=st.one_of(st.none(), s.statuses), end_time=s.timestamps)
def test_set_terminated(store, data, status, end_time):
    store.call(store.client.set_terminated, pick_run(store, data), status, end_time)


@given(
    data=st.data(),
    status=st.one_of(st.none(), s.statuses),
    name=st.one_of(st.none(), s.any_text, s.odd_objects),
)
def test_update_run(store, data, status, name):
    store.call(store.client.update_run, pick_run(store, data), status, name)


@given(data=st.data())
def test_delete_run(store, data):
    store.call(store.client.delete_run, pick_run(store, data))


@given(data=st.data())
def test_restore_run(store, data):
    store.call(store.client.restore_run, pick_run(store, data))


# -- permanent deletion (gc) ---------------------------------------------------------------

_TIMES = st.one_of(st.none(), st.integers(-(2**70), 2**70), s.odd_objects)
_ID_LISTS = st.one_of(st.none(), st.lists(_exp_ids(), max_size=3), s.odd_objects)


@given(deleted_before=_TIMES, experiment_ids=_ID_LISTS)
def test_deleted_runs(store, deleted_before, experiment_ids):
    found, _ = store.call(store.client.deleted_runs, deleted_before, experiment_ids)
    assert found is None or all(r.run_id for r in found)


@given(deleted_before=_TIMES, experiment_ids=_ID_LISTS)
def test_deleted_experiments(store, deleted_before, experiment_ids):
    found, _ = store.call(store.client.deleted_experiments, deleted_before, experiment_ids)
    assert found is None or all(e.lifecycle_stage == "deleted" for e in found)


@given(data=st.data())
def test_purge_run(store, data):
    store.call(store.client.purge_run, pick_run(store, data))


@given(experiment_id=_exp_ids())
def test_purge_experiment(store, experiment_id):
    store.call(store.client.purge_experiment, experiment_id)


@given(
    older_than=st.one_of(
        st.none(), st.sampled_from(["30d", "1h", "0s", "2d8h5m20s"]), s.any_text, s.odd_objects
    ),
    experiment_ids=_ID_LISTS,
)
def test_plan_gc(store, older_than, experiment_ids):
    store.call(store.client.plan_gc, older_than, experiment_ids)


@given(plan=st.one_of(st.none(), s.odd_objects, st.just("plan")))
def test_gc(store, plan):
    store.call(store.client.gc, plan)


@given(data=st.data())
def test_get_run_info(store, data):
    store.call(store.client.get_run_info, pick_run(store, data))


# -- logging ------------------------------------------------------------------------------


@given(data=st.data(), key=s.keys, value=st.one_of(s.values, s.long_text(6000)))
def test_log_param(store, data, key, value):
    store.call(store.client.log_param, pick_run(store, data), key, value)


@given(
    data=st.data(),
    key=s.keys,
    value=s.metric_values,
    timestamp=s.timestamps,
    step=st.one_of(st.none(), s.tricky_ints, s.tricky_floats, s.odd_objects),
)
def test_log_metric(store, data, key, value, timestamp, step):
    store.call(store.client.log_metric, pick_run(store, data), key, value, timestamp, step)


@given(data=st.data(), key=s.keys, value=s.values)
def test_set_tag(store, data, key, value):
    store.call(store.client.set_tag, pick_run(store, data), key, value)


@given(data=st.data(), key=st.one_of(st.just("stage"), s.keys))
def test_delete_tag(store, data, key):
    store.call(store.client.delete_tag, pick_run(store, data), key)


_metric_entries = st.one_of(
    st.builds(
        Metric,
        s.keys,
        s.metric_values,
        st.one_of(st.none(), s.tricky_ints),
        st.one_of(st.none(), s.tricky_ints),
    ),
    s.odd_objects,
)
_param_entries = st.one_of(st.builds(Param, s.keys, s.values), s.odd_objects)
_tag_entries = st.one_of(st.builds(RunTag, s.keys, s.values), s.odd_objects)


@given(
    data=st.data(),
    metrics=st.one_of(st.none(), st.lists(_metric_entries, max_size=4)),
    params=st.one_of(st.none(), st.lists(_param_entries, max_size=4)),
    tags=st.one_of(st.none(), st.lists(_tag_entries, max_size=4)),
)
def test_log_batch(store, data, metrics, params, tags):
    store.call(store.client.log_batch, pick_run(store, data), metrics, params, tags)


@given(data=st.data(), key=st.one_of(st.just("rmse"), s.keys))
def test_get_metric_history(store, data, key):
    store.call(store.client.get_metric_history, pick_run(store, data), key)


@given(data=st.data(), key=st.one_of(st.just("rmse"), s.keys))
def test_get_metric_histories(store, data, key):
    run_ids = data.draw(st.lists(_run_ids(store), max_size=3))
    store.call(store.client.get_metric_histories, run_ids, key)


# -- search ---------------------------------------------------------------------------------

_experiment_id_lists = st.one_of(st.lists(_exp_ids(), max_size=3), _exp_ids())


@given(
    experiment_ids=_experiment_id_lists,
    filter_string=s.filters(),
    view_type=s.view_types,
    max_results=s.max_results,
    order_by=s.order_bys(),
    page_token=s.page_tokens,
)
def test_search_runs(store, experiment_ids, filter_string, view_type, max_results, order_by,
                     page_token):  # fmt: skip
    c = store.client
    found, _ = store.call(
        c.search_runs, experiment_ids, filter_string, view_type, max_results, order_by, page_token
    )
    if found is not None and found.token:
        store.call(
            c.search_runs, experiment_ids, filter_string, view_type, max_results, order_by,
            found.token,
        )  # fmt: skip


@given(
    experiment_ids=_experiment_id_lists,
    filter_string=s.filters(),
    view_type=s.view_types,
    max_results=s.max_results,
    order_by=s.order_bys(),
)
def test_search_all_runs(store, experiment_ids, filter_string, view_type, max_results, order_by):
    store.call(
        store.client.search_all_runs, experiment_ids, filter_string, view_type, max_results,
        order_by,
    )  # fmt: skip


@given(
    experiment_ids=_experiment_id_lists,
    filter_string=s.filters(),
    view_type=s.view_types,
    max_results=s.max_results,
    order_by=s.order_bys(),
)
def test_search_runs_columns(store, experiment_ids, filter_string, view_type, max_results,
                             order_by):  # fmt: skip
    store.call(
        store.client.search_runs_columns, experiment_ids, filter_string, view_type, max_results,
        order_by,
    )  # fmt: skip


@given(
    experiment_ids=st.lists(_exp_ids(), max_size=3),
    filter_string=s.filters(),
    order_by=s.order_bys(),
    limit=s.max_results,
    offset=st.one_of(s.tricky_ints, s.odd_objects, s.tricky_floats),
    view_type=s.view_types,
)
def test_search_run_page(store, experiment_ids, filter_string, order_by, limit, offset,
                         view_type):  # fmt: skip
    store.call(
        store.client.search_run_page, experiment_ids, filter_string, order_by, limit, offset,
        view_type,
    )  # fmt: skip


@given(experiment_ids=st.one_of(st.lists(_exp_ids(), max_size=3), s.odd_objects))
def test_experiment_activity(store, experiment_ids):
    store.call(store.client.experiment_activity, experiment_ids)


@given(experiment_id=_exp_ids())
def test_run_keys(store, experiment_id):
    store.call(store.client.run_keys, experiment_id)


@given(data=st.data())
def test_load_runs(store, data):
    run_ids = data.draw(st.one_of(st.lists(_run_ids(store), max_size=3), s.odd_objects))
    store.call(store.client.load_runs, run_ids)


@given(view_type=s.view_types)
def test_list_experiments(store, view_type):
    store.call(store.client.list_experiments, view_type)


# -- artifacts ------------------------------------------------------------------------------


def _local_source(store, kind: str, name: str):
    """A real file, a real folder, or a path that does not exist, outside the store."""
    base = store.folder.parent / f"{store.folder.name}-sources"
    base.mkdir(exist_ok=True)
    if kind == "file":
        path = base / "data.csv"
        path.write_text("a,b\n1,2\n")
        return str(path)
    if kind == "folder":
        (base / "folder" / "sub").mkdir(parents=True, exist_ok=True)
        (base / "folder" / "sub" / "x.txt").write_text("x")
        return str(base / "folder")
    if kind == "missing":
        return str(base / "missing" / name.replace("\x00", ""))
    return name


_sources = st.tuples(st.sampled_from(["file", "folder", "missing", "raw"]), s.any_text)


@given(data=st.data(), source=_sources, artifact_path=s.optional_paths)
def test_log_artifact(store, data, source, artifact_path):
    local = _local_source(store, *source)
    store.call(store.client.log_artifact, pick_run(store, data), local, artifact_path)


@given(data=st.data(), source=_sources, artifact_path=s.optional_paths)
def test_log_artifacts(store, data, source, artifact_path):
    local = _local_source(store, *source)
    store.call(store.client.log_artifacts, pick_run(store, data), local, artifact_path)


@given(data=st.data(), text=st.one_of(s.any_text, s.odd_objects), artifact_file=s.paths)
def test_log_text(store, data, text, artifact_file):
    store.call(store.client.log_text, pick_run(store, data), text, artifact_file)


_dicts = st.one_of(
    st.dictionaries(s.any_text, st.one_of(s.any_text, s.tricky_ints, s.tricky_floats)),
    s.odd_objects,
)


@given(
    data=st.data(),
    dictionary=_dicts,
    artifact_file=st.one_of(s.paths, s.paths.map(lambda p: f"{p}.yaml")),
)
def test_log_dict(store, data, dictionary, artifact_file):
    if isinstance(artifact_file, str) and "None" in artifact_file:
        artifact_file = artifact_file.replace("None", "n")
    store.call(store.client.log_dict, pick_run(store, data), dictionary, artifact_file)


@given(data=st.data(), figure=st.one_of(s.odd_objects, s.any_text), artifact_file=s.paths)
def test_log_figure(store, data, figure, artifact_file):
    store.call(store.client.log_figure, pick_run(store, data), figure, artifact_file)


@given(data=st.data(), path=s.optional_paths)
def test_list_artifacts(store, data, path):
    store.call(store.client.list_artifacts, pick_run(store, data), path)


@given(data=st.data(), path=s.optional_paths, fresh_dst=st.booleans())
def test_download_artifacts(store, data, path, fresh_dst):
    dst = store.folder.parent / f"{store.folder.name}-downloads"
    dst_path = str(dst / str(data.draw(st.integers(0, 10**6)))) if fresh_dst else None
    store.call(store.client.download_artifacts, pick_run(store, data), path, dst_path)


@given(data=st.data(), path=s.optional_paths)
def test_artifact_local_path(store, data, path):
    store.call(store.client.artifact_local_path, pick_run(store, data), path)
