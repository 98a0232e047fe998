"""``logged-models/*`` and ``runs/outputs``: MLflow 3's logged models, which its client
creates on every ``log_model`` (and has no fallback for a server without them).

The server picks the model's id and its artifact folder,
``<experiment artifact location>/models/<model_id>/artifacts``, as MLflow's server
does; the client then uploads the model's files there (through the artifact proxy).
"""

from __future__ import annotations

import uuid

from minitrack.exceptions import MinitrackException
from minitrack.server.rest import shapes
from minitrack.server.rest.request import Fields
from minitrack.uris import append_path

STATUS_NAMES = {"LOGGED_MODEL_PENDING": "PENDING", "LOGGED_MODEL_READY": "READY",
                "LOGGED_MODEL_UPLOAD_FAILED": "FAILED"}  # fmt: skip
STATUS_NUMBERS = {1: "PENDING", 2: "READY", 3: "FAILED"}


def _model(lm) -> dict:
    return {"model": shapes.logged_model(lm)}


def create(client, f: Fields) -> dict:
    exp_id = f.str("experiment_id", required=True)
    experiment = client.get_experiment(exp_id)
    model_id = f"m-{uuid.uuid4().hex}"
    params = {p.str("key", required=True): p.str("value", default="") for p in
              f.objects("params")}  # fmt: skip
    model = client.create_logged_model(
        exp_id,
        name=f.str("name") or None,
        source_run_id=f.str("source_run_id") or None,
        tags=f.tags() or None,
        params=params or None,
        model_type=f.str("model_type") or None,
        artifact_location=append_path(
            experiment.artifact_location, "models", model_id, "artifacts"
        ),
        model_id=model_id,
    )
    return _model(model)


def get(client, f: Fields, model_id: str) -> dict:
    return _model(client.get_logged_model(model_id))


def finalize(client, f: Fields, model_id: str) -> dict:
    raw = f.data.get("status")
    status = STATUS_NAMES.get(raw) if isinstance(raw, str) else STATUS_NUMBERS.get(raw)
    if status is None or status == "PENDING":
        raise MinitrackException(
            f"Invalid logged model status {raw!r}: use LOGGED_MODEL_READY or "
            "LOGGED_MODEL_UPLOAD_FAILED."
        )
    return _model(client.finalize_logged_model(model_id, status))


def set_tags(client, f: Fields, model_id: str) -> dict:
    client.set_logged_model_tags(model_id, f.tags())
    return {}


def delete_tag(client, f: Fields, model_id: str, tag_key: str) -> dict:
    client.delete_logged_model_tag(model_id, tag_key)
    return {}


def _filter(filter_string: str | None) -> list:
    """The filter's comparisons, parsed by the one grammar (``search.LOGGED_MODELS``)."""
    if not filter_string:
        return []
    from minitrack.search.entities import LOGGED_MODELS
    from minitrack.search.grammar import parse_filter

    return parse_filter(filter_string, LOGGED_MODELS)


def _matches(model, comparisons) -> bool:
    for c in comparisons:
        equal = getattr(model, c.key) == c.value
        if equal != (c.comparator == "="):
            return False
    return True


def search(client, f: Fields) -> dict:
    comparisons = _filter(f.str("filter"))
    ids = f.str_list("experiment_ids")
    max_results = f.int("max_results")
    page = client.search_logged_models(
        ids or None, max_results=None if comparisons else max_results,
        page_token=None if comparisons else f.str("page_token") or None,
    )  # fmt: skip
    models = [m for m in page if _matches(m, comparisons)]
    out = {"models": [shapes.logged_model(m) for m in models[: max_results or None]]}
    if page.token and not comparisons:
        out["next_page_token"] = page.token
    return out


def log_outputs(client, f: Fields) -> dict:
    run_id = f.str("run_id", required=True)
    client.get_run(run_id)
    for output in f.objects("models"):
        # A run's outputs are the logged models it produced (their source_run_id): check
        # that each one named exists; nothing more is stored.
        client.get_logged_model(output.str("model_id", required=True))
        output.int("step", default=0)
    return {}


LM = "logged-models"
ROUTES = [
    ("POST", LM, create),
    ("GET", LM + "/{model_id}", get),
    ("PATCH", LM + "/{model_id}", finalize),
    ("PATCH", LM + "/{model_id}/tags", set_tags),
    ("DELETE", LM + "/{model_id}/tags/{tag_key:path}", delete_tag),
    ("POST", LM + "/search", search),
    ("POST", "runs/outputs", log_outputs),
]
