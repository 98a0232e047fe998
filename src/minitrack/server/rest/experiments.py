"""``experiments/*``: create, get, get-by-name, search, update, delete, restore, tags."""

from __future__ import annotations

from minitrack.entities import ViewType
from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException
from minitrack.server.rest import shapes
from minitrack.server.rest.request import Fields

VIEW_TYPES = {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY,
              "ALL": ViewType.ALL}  # fmt: skip


def create(client, f: Fields) -> dict:
    exp_id = client.create_experiment(
        f.str("name", required=True), f.str("artifact_location") or None, f.tags()
    )
    return {"experiment_id": exp_id}


def get(client, f: Fields) -> dict:
    exp = client.get_experiment(f.str("experiment_id", required=True))
    return {"experiment": shapes.experiment(exp)}


def get_by_name(client, f: Fields) -> dict:
    name = f.str("experiment_name", required=True)
    exp = client.get_experiment_by_name(name)
    if exp is None:
        raise MinitrackException(
            f"Could not find experiment with name '{name}'", RESOURCE_DOES_NOT_EXIST
        )
    return {"experiment": shapes.experiment(exp)}


def search(client, f: Fields) -> dict:
    page = client.search_experiments(
        view_type=f.enum("view_type", VIEW_TYPES, ViewType.ACTIVE_ONLY),
        max_results=f.int("max_results", default=1000),
        filter_string=f.str("filter") or None,
        order_by=f.str_list("order_by") or None,
        page_token=f.str("page_token") or None,
    )
    out = {"experiments": [shapes.experiment(e) for e in page]}
    if page.token:
        out["next_page_token"] = page.token
    return out


def update(client, f: Fields) -> dict:
    exp_id = f.str("experiment_id", required=True)
    new_name = f.str("new_name")
    if new_name:
        client.rename_experiment(exp_id, new_name)
    else:
        client.get_experiment(exp_id)
    return {}


def delete(client, f: Fields) -> dict:
    client.delete_experiment(f.str("experiment_id", required=True))
    return {}


def restore(client, f: Fields) -> dict:
    client.restore_experiment(f.str("experiment_id", required=True))
    return {}


def set_tag(client, f: Fields) -> dict:
    client.set_experiment_tag(
        f.str("experiment_id", required=True),
        f.str("key", required=True),
        f.str("value", default=""),
    )
    return {}


def delete_tag(client, f: Fields) -> dict:
    client.delete_experiment_tag(f.str("experiment_id", required=True), f.str("key", required=True))
    return {}


ROUTES = [
    ("POST", "experiments/create", create),
    ("GET", "experiments/get", get),
    ("GET", "experiments/get-by-name", get_by_name),
    ("GET", "experiments/search", search),
    ("POST", "experiments/search", search),
    ("POST", "experiments/update", update),
    ("POST", "experiments/delete", delete),
    ("POST", "experiments/restore", restore),
    ("POST", "experiments/set-experiment-tag", set_tag),
    ("POST", "experiments/delete-experiment-tag", delete_tag),
]
