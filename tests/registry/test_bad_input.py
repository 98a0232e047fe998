"""Bad registry input gets a clear MinitrackException naming the problem, and changes nothing."""

from __future__ import annotations

import pytest

import minitrack
from minitrack import MinitrackException

from .conftest import log_linear_model


def registry_state(client) -> list:
    """Everything a user can see of the registry."""
    models = [
        (m.name, m.description, m.tags, m.aliases, m.last_updated_timestamp)
        for m in client.search_registered_models()
    ]
    versions = [
        (v.name, v.version, v.current_stage, v.description, v.tags, v.last_updated_timestamp)
        for v in client.search_model_versions(order_by=["name", "version_number"])
    ]
    return [models, versions]


@pytest.fixture
def registry(client, three_versions):
    client.set_registered_model_alias("taxi", "champion", 2)
    client.create_registered_model("other")
    return three_versions


BAD_CALLS = {
    "duplicate name": (
        lambda c, runs: c.create_registered_model("taxi"),
        "already exists",
        "RESOURCE_ALREADY_EXISTS",
    ),
    "rename onto an existing name": (
        lambda c, runs: c.rename_registered_model("taxi", "other"),
        r"name=other\) already exists",
        "RESOURCE_ALREADY_EXISTS",
    ),
    "unknown version": (
        lambda c, runs: c.get_model_version("taxi", 7),
        "model 'taxi' has versions: 1, 2, 3",
        "RESOURCE_DOES_NOT_EXIST",
    ),
    "unknown version for an alias": (
        lambda c, runs: c.set_registered_model_alias("taxi", "best", 9),
        "version=9",
        "RESOURCE_DOES_NOT_EXIST",
    ),
    "non-numeric version": (
        lambda c, runs: c.update_model_version("taxi", "two", description="x"),
        "must be an integer",
        "INVALID_PARAMETER_VALUE",
    ),
    "unknown alias": (
        lambda c, runs: c.get_model_version_by_alias("taxi", "challenger"),
        "model 'taxi' has no alias 'challenger'; aliases: champion",
        "INVALID_PARAMETER_VALUE",
    ),
    "reserved alias latest": (
        lambda c, runs: c.set_registered_model_alias("taxi", "LATEST", 1),
        "'latest' alias name .* is reserved",
        "INVALID_PARAMETER_VALUE",
    ),
    "reserved alias v<n>": (
        lambda c, runs: c.set_registered_model_alias("taxi", "v2", 1),
        "'v2' is reserved",
        "INVALID_PARAMETER_VALUE",
    ),
    "bad alias characters": (
        lambda c, runs: c.set_registered_model_alias("taxi", "my alias", 1),
        "alphanumerics",
        "INVALID_PARAMETER_VALUE",
    ),
    "unknown stage": (
        lambda c, runs: c.transition_model_version_stage("taxi", 1, "Prod"),
        "Invalid Model Version stage: Prod. Value must be one of None, Staging",
        "INVALID_PARAMETER_VALUE",
    ),
    "archiving into a stage that is not active": (
        lambda c, runs: c.transition_model_version_stage("taxi", 1, "Archived", True),
        "not an Active stage",
        "INVALID_PARAMETER_VALUE",
    ),
    "empty name": (
        lambda c, runs: c.create_registered_model(""),
        "Missing value for required parameter 'name'",
        "INVALID_PARAMETER_VALUE",
    ),
    "blank name": (
        lambda c, runs: minitrack.register_model(f"runs:/{runs[0]}/model", "  "),
        "Missing value for required parameter 'name'",
        "INVALID_PARAMETER_VALUE",
    ),
    "name with a slash": (
        lambda c, runs: c.create_registered_model("taxi/prod"),
        "cannot contain '/' or ':'",
        "INVALID_PARAMETER_VALUE",
    ),
    "a run without that model path": (
        lambda c, runs: minitrack.register_model(f"runs:/{runs[0]}/elsewhere", "new-model"),
        "run .* has no model at 'elsewhere' .its logged models: model",
        "RESOURCE_DOES_NOT_EXIST",
    ),
    "a run that does not exist": (
        lambda c, runs: minitrack.register_model("runs:/0123456789abcdef/model", "new-model"),
        "not found",
        "RESOURCE_DOES_NOT_EXIST",
    ),
    "unknown registered model": (
        lambda c, runs: c.update_registered_model("nobody", description="x"),
        "name=nobody not found",
        "RESOURCE_DOES_NOT_EXIST",
    ),
    "copy from a runs URI": (
        lambda c, runs: c.copy_model_version(f"runs:/{runs[0]}/model", "copy"),
        "only copies models stored in the 'models:/' scheme",
        "INVALID_PARAMETER_VALUE",
    ),
    "copy from an unknown alias": (
        lambda c, runs: c.copy_model_version("models:/taxi@nope", "copy"),
        "has no alias 'nope'",
        "INVALID_PARAMETER_VALUE",
    ),
    "log_model with an empty registered_model_name": (
        lambda c, runs: log_linear_model(1.0, registered_model_name=""),
        "registered_model_name",
        "INVALID_PARAMETER_VALUE",
    ),
    "max_results too large": (
        lambda c, runs: c.search_registered_models(max_results=5000),
        "at most 1000",
        "INVALID_PARAMETER_VALUE",
    ),
    "a filter MLflow refuses": (
        lambda c, runs: c.search_registered_models("name = 'a' OR name = 'b'"),
        "OR",
        "INVALID_PARAMETER_VALUE",
    ),
    "tags that are not a dict": (
        lambda c, runs: c.create_registered_model("tagged", tags=["a"]),
        "tags must be a dict",
        "INVALID_PARAMETER_VALUE",
    ),
}


@pytest.mark.filterwarnings("ignore:.*deprecated since 2.9.0:FutureWarning")
@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_input_is_explained_and_the_registry_is_unchanged(client, registry, case):
    call, message, code = BAD_CALLS[case]
    before = registry_state(client)
    runs_before = len(client.search_runs(["0"]))
    with pytest.raises(MinitrackException, match=message) as caught:
        call(client, registry)
    assert caught.value.error_code == code
    assert registry_state(client) == before
    if case != "log_model with an empty registered_model_name":
        assert len(client.search_runs(["0"])) == runs_before
    # The registry still works after the refusal.
    assert client.get_model_version_by_alias("taxi", "champion").version == 2
