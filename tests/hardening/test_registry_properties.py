"""The registry's MlflowClient methods, driven with generated arguments.

Same invariant as test_client_properties.py: success, or a MinitrackException that left
every row and file as it was. The prepared store has the model 'taxi' (version 1
deleted, version 2 with the alias 'champion' and a tag) and one logged model.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from . import strategies as s
from . import test_client_properties as client_properties

MODEL_NAMES = st.one_of(
    st.sampled_from(["taxi", "other-model", "TAXI", " taxi", ""]), s.any_text, s.odd_objects
)
VERSIONS = st.one_of(
    st.sampled_from([1, 2, 3, "2", "02", "v2", "latest", 0, -1]), s.tricky_ints, s.any_text,
    s.odd_objects, s.tricky_floats,
)  # fmt: skip
ALIASES = st.one_of(
    st.sampled_from(["champion", "challenger", "latest", "v3", "V3", "a" * 300, ""]),
    s.any_text,
    s.odd_objects,
)
STAGES = st.one_of(
    st.sampled_from(["None", "Staging", "production", "ARCHIVED", "Deleted_Internal", "prod"]),
    s.any_text,
    s.odd_objects,
)
REGISTRY_PREFIXES = ("tags.", "tag.", "attribute.", "")
TAGS = st.one_of(st.none(), st.dictionaries(s.keys, s.values, max_size=3), s.odd_objects)
MODEL_IDS = st.one_of(st.sampled_from(["m-" + "0" * 32, "m-x", ""]), s.any_text, s.odd_objects)
URIS = st.one_of(
    st.sampled_from(
        [
            "models:/taxi/2",
            "models:/taxi@champion",
            "models:/taxi/latest",
            "models:/taxi/Production",
            "models:/taxi/1",
            "models:/nope@x",
            "models:/",
            "runs:/x/model",
        ]
    ),
    s.any_text,
    s.odd_objects,
)


@given(name=MODEL_NAMES, tags=TAGS, description=st.one_of(st.none(), s.any_text, s.odd_objects))
def test_create_registered_model(store, name, tags, description):
    store.call(store.client.create_registered_model, name, tags, description)


@given(name=MODEL_NAMES)
def test_get_registered_model(store, name):
    store.call(store.client.get_registered_model, name)


@given(name=MODEL_NAMES, new_name=MODEL_NAMES)
def test_rename_registered_model(store, name, new_name):
    store.call(store.client.rename_registered_model, name, new_name)


@given(name=MODEL_NAMES, description=st.one_of(st.none(), s.any_text, s.odd_objects))
def test_update_registered_model(store, name, description):
    store.call(store.client.update_registered_model, name, description)


@given(name=MODEL_NAMES)
def test_delete_registered_model(store, name):
    store.call(store.client.delete_registered_model, name)


@given(
    filter_string=s.filters(REGISTRY_PREFIXES),
    max_results=s.max_results,
    order_by=s.order_bys(REGISTRY_PREFIXES),
    page_token=s.page_tokens,
)
def test_search_registered_models(store, filter_string, max_results, order_by, page_token):
    store.call(
        store.client.search_registered_models, filter_string, max_results, order_by, page_token
    )


@given(name=MODEL_NAMES, key=s.keys, value=s.values)
def test_set_registered_model_tag(store, name, key, value):
    store.call(store.client.set_registered_model_tag, name, key, value)


@given(name=MODEL_NAMES, key=st.one_of(st.just("team"), s.keys))
def test_delete_registered_model_tag(store, name, key):
    store.call(store.client.delete_registered_model_tag, name, key)


@given(
    name=MODEL_NAMES,
    source=st.one_of(URIS, s.paths),
    run_id=st.one_of(st.none(), s.run_ids()),
    tags=TAGS,
    description=st.one_of(st.none(), s.any_text),
)
def test_create_model_version(store, name, source, run_id, tags, description):
    store.call(store.client.create_model_version, name, source, run_id, tags, None, description)


@given(name=MODEL_NAMES, version=VERSIONS)
def test_get_model_version(store, name, version):
    store.call(store.client.get_model_version, name, version)


@given(name=MODEL_NAMES, version=VERSIONS, description=st.one_of(st.none(), s.any_text))
def test_update_model_version(store, name, version, description):
    store.call(store.client.update_model_version, name, version, description)


@given(name=MODEL_NAMES, version=VERSIONS)
def test_delete_model_version(store, name, version):
    store.call(store.client.delete_model_version, name, version)


@given(name=MODEL_NAMES, version=VERSIONS)
def test_get_model_version_download_uri(store, name, version):
    store.call(store.client.get_model_version_download_uri, name, version)


@given(
    filter_string=s.filters(REGISTRY_PREFIXES),
    max_results=s.max_results,
    order_by=s.order_bys(REGISTRY_PREFIXES),
    page_token=s.page_tokens,
)
def test_search_model_versions(store, filter_string, max_results, order_by, page_token):
    store.call(store.client.search_model_versions, filter_string, max_results, order_by, page_token)


@given(name=MODEL_NAMES, version=VERSIONS, key=s.keys, value=s.values)
def test_set_model_version_tag(store, name, version, key, value):
    store.call(store.client.set_model_version_tag, name, version, key, value)


@given(name=MODEL_NAMES, version=VERSIONS, key=st.one_of(st.just("validated"), s.keys))
def test_delete_model_version_tag(store, name, version, key):
    store.call(store.client.delete_model_version_tag, name, version, key)


@given(name=MODEL_NAMES, alias=ALIASES, version=VERSIONS)
def test_set_registered_model_alias(store, name, alias, version):
    store.call(store.client.set_registered_model_alias, name, alias, version)


@given(name=MODEL_NAMES, alias=ALIASES)
def test_delete_registered_model_alias(store, name, alias):
    store.call(store.client.delete_registered_model_alias, name, alias)


@given(name=MODEL_NAMES, alias=ALIASES)
def test_get_model_version_by_alias(store, name, alias):
    store.call(store.client.get_model_version_by_alias, name, alias)


@given(uri=URIS, dst_name=MODEL_NAMES)
def test_copy_model_version(store, uri, dst_name):
    store.call(store.client.copy_model_version, uri, dst_name)


@given(name=MODEL_NAMES, stages=st.one_of(st.none(), st.lists(STAGES, max_size=3), s.odd_objects))
def test_get_latest_versions(store, name, stages):
    store.call(store.client.get_latest_versions, name, stages)


@given(
    name=MODEL_NAMES,
    version=VERSIONS,
    stage=STAGES,
    archive=st.one_of(st.booleans(), s.odd_objects),
)
def test_transition_model_version_stage(store, name, version, stage, archive):
    store.call(store.client.transition_model_version_stage, name, version, stage, archive)


@given(
    experiment_id=s.experiment_ids("1", "2"),
    name=st.one_of(st.none(), MODEL_NAMES),
    run_id=st.one_of(st.none(), s.run_ids()),
    tags=TAGS,
)
def test_create_logged_model(store, experiment_id, name, run_id, tags):
    store.call(store.client.create_logged_model, experiment_id, name, run_id, tags)


@given(data=st.data())
def test_get_logged_model(store, data):
    model_id = data.draw(st.one_of(st.just(store.logged_model_id), MODEL_IDS))
    store.call(store.client.get_logged_model, model_id)


@given(data=st.data(), status=st.one_of(st.sampled_from(["READY", "FAILED", "x"]), s.any_text))
def test_finalize_logged_model(store, data, status):
    model_id = data.draw(st.one_of(st.just(store.logged_model_id), MODEL_IDS))
    store.call(store.client.finalize_logged_model, model_id, status)


@given(data=st.data(), source=client_properties._sources, artifact_path=s.optional_paths)
def test_log_model_artifacts(store, data, source, artifact_path):
    model_id = data.draw(st.one_of(st.just(store.logged_model_id), MODEL_IDS))
    local = client_properties._local_source(store, *source)
    store.call(store.client.log_model_artifacts, model_id, local, artifact_path)


@given(data=st.data(), tags=TAGS)
def test_set_logged_model_tags(store, data, tags):
    model_id = data.draw(st.one_of(st.just(store.logged_model_id), MODEL_IDS))
    store.call(store.client.set_logged_model_tags, model_id, tags)


@given(data=st.data(), key=s.keys)
def test_delete_logged_model_tag(store, data, key):
    model_id = data.draw(st.one_of(st.just(store.logged_model_id), MODEL_IDS))
    store.call(store.client.delete_logged_model_tag, model_id, key)


@given(
    experiment_ids=st.one_of(st.none(), st.lists(s.experiment_ids("1", "2"), max_size=3)),
    max_results=s.max_results,
    page_token=s.page_tokens,
)
def test_search_logged_models(store, experiment_ids, max_results, page_token):
    store.call(store.client.search_logged_models, experiment_ids, max_results, page_token)


@given(data=st.data())
def test_get_store_id(store, data):
    first = store.client.get_store_id()
    assert first == store.client.get_store_id() and len(first) >= 16
