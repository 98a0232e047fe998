"""One sequence of registry calls, run on minitrack or on real MLflow, outcomes as JSON.

    python registry_scenario.py minitrack|mlflow <empty folder>

Each step records what a user would see, with what differs by nature between two
stores made apart replaced by placeholders: run ids become run-A..., logged model ids
model-A..., local paths a yes/no "is a model folder". Errors record their error code,
warnings their category and whether they name the 2.9.0 deprecation. The differential
test (test_mlflow_parity.py) runs it on both and compares step by step.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings


def main(tracker: str, folder: str) -> list:
    os.chdir(folder)
    if tracker == "mlflow":
        import mlflow
    else:
        import minitrack as mlflow
    import numpy as np
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri(f"sqlite:///{os.path.join(folder, 'mlflow.db')}")
    mlflow.set_experiment("registry-parity")
    client = mlflow.MlflowClient()
    names: dict[str, str] = {}  # real id -> placeholder
    steps: list = []
    X = np.array([[1.0], [2.0], [3.0]])

    def hide(value):
        """Replace run ids, model ids and paths by stable placeholders."""
        if isinstance(value, str):
            if os.path.isabs(value) or value.startswith("file:"):
                path = value[len("file://") :] if value.startswith("file://") else value
                if os.path.isfile(os.path.join(path, "MLmodel")):
                    return "<model folder>"
            for real, shown in names.items():
                value = value.replace(real, shown)
            return value
        if isinstance(value, dict):
            return {hide(k): hide(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [hide(v) for v in value]
        return value

    def version(mv) -> dict:
        return hide(
            {
                "name": mv.name,
                "version": int(mv.version),
                "stage": mv.current_stage,
                "description": mv.description,
                "source": mv.source,
                "run_id": mv.run_id,
                "status": mv.status,
                "tags": dict(mv.tags),
                "aliases": sorted(mv.aliases),
                "user_id": mv.user_id,
                "run_link": mv.run_link,
                "created_before_update": mv.creation_timestamp <= mv.last_updated_timestamp,
            }
        )

    def model(rm) -> dict:
        return hide(
            {
                "name": rm.name,
                "description": rm.description,
                "tags": dict(rm.tags),
                "aliases": {k: int(v) for k, v in rm.aliases.items()},
                "latest_versions": sorted(
                    (mv.current_stage, int(mv.version)) for mv in rm.latest_versions or []
                ),
            }
        )

    def outcome(value):
        if value is None:
            return None
        kind = type(value).__name__
        if kind == "ModelVersion":
            return version(value)
        if kind == "RegisteredModel":
            return model(value)
        if isinstance(value, list):
            out = [outcome(v) for v in value]
            token = getattr(value, "token", None)
            return {"items": out, "more": bool(token)} if hasattr(value, "token") else out
        return hide(value)

    def step(label: str, call):
        # Calls a millisecond apart: the default version order (newest update first)
        # must not depend on which of two calls in the same millisecond came first.
        time.sleep(0.003)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = {"value": outcome(call())}
            except Exception as error:  # the outcome is the error code
                result = {"error": getattr(error, "error_code", type(error).__name__)}
        deprecations = [
            (w.category.__name__, "deprecated since 2.9.0" in str(w.message))
            for w in caught
            if issubclass(w.category, (FutureWarning, DeprecationWarning))
            and "stage" in str(w.message).lower()
        ]
        if deprecations:
            result["warnings"] = deprecations
        steps.append([label, result])

    def predict(uri: str, flavour=None):
        loaded = (flavour or mlflow.pyfunc).load_model(uri)
        return [round(float(v), 6) for v in loaded.predict(X)]

    # Three runs, each logging a model that predicts differently.
    runs = {}
    for letter, slope in (("A", 1.0), ("B", 2.0), ("C", 3.0)):
        with mlflow.start_run() as run:
            info = mlflow.sklearn.log_model(
                LinearRegression().fit(X, X[:, 0] * slope), name="model"
            )
        runs[letter] = run.info.run_id
        names[run.info.run_id] = f"run-{letter}"
        names[info.model_id] = f"model-{letter}"
    A, B, C = (runs[k] for k in "ABC")
    model_a = next(real for real, shown in names.items() if shown == "model-A")

    step("register A", lambda: mlflow.register_model(f"runs:/{A}/model", "taxi"))
    step("register B", lambda: mlflow.register_model(f"runs:/{B}/model", "taxi"))
    step("create duplicate", lambda: client.create_registered_model("taxi"))
    step(
        "create other",
        lambda: client.create_registered_model("other", tags={"team": "ml"}, description="d"),
    )
    step("get taxi", lambda: client.get_registered_model("taxi"))
    step("alias champion->1", lambda: client.set_registered_model_alias("taxi", "champion", 1))
    step("by alias champion", lambda: client.get_model_version_by_alias("taxi", "champion"))
    step("alias champion->2", lambda: client.set_registered_model_alias("taxi", "champion", "2"))
    step("by alias moved", lambda: client.get_model_version_by_alias("taxi", "champion"))
    step("alias latest", lambda: client.set_registered_model_alias("taxi", "latest", 1))
    step("alias Latest", lambda: client.set_registered_model_alias("taxi", "Latest", 1))
    step("alias v1", lambda: client.set_registered_model_alias("taxi", "v1", 1))
    step("alias V7", lambda: client.set_registered_model_alias("taxi", "V7", 1))
    step("alias to missing", lambda: client.set_registered_model_alias("taxi", "x", 9))
    step("alias challenger", lambda: client.set_registered_model_alias("taxi", "challenger", 1))
    step("get with aliases", lambda: client.get_registered_model("taxi"))
    step("by alias missing", lambda: client.get_model_version_by_alias("taxi", "nope"))
    step("by alias latest", lambda: client.get_model_version_by_alias("taxi", "latest"))
    step("delete alias", lambda: client.delete_registered_model_alias("taxi", "challenger"))
    step("delete missing alias", lambda: client.delete_registered_model_alias("taxi", "gone"))
    step("stage 1 staging", lambda: client.transition_model_version_stage("taxi", 1, "staging"))
    step(
        "stage 2 Production",
        lambda: client.transition_model_version_stage("taxi", "2", "Production"),
    )
    step("register C", lambda: mlflow.register_model(f"runs:/{C}/model", "taxi"))
    step(
        "stage 3 production archiving",
        lambda: client.transition_model_version_stage(
            "taxi", 3, "production", archive_existing_versions=True
        ),
    )
    step("version 2 archived", lambda: client.get_model_version("taxi", 2))
    step("latest versions", lambda: client.get_latest_versions("taxi"))
    step("latest production", lambda: client.get_latest_versions("taxi", ["Production"]))
    step("latest none stage", lambda: client.get_latest_versions("taxi", ["None"]))
    step("stage bogus", lambda: client.transition_model_version_stage("taxi", 1, "bogus"))
    step(
        "archive from archived",
        lambda: client.transition_model_version_stage(
            "taxi", 1, "Archived", archive_existing_versions=True
        ),
    )
    step("update version", lambda: client.update_model_version("taxi", 1, description="first"))
    step("update model", lambda: client.update_registered_model("taxi", "Taxi regressor"))
    step("version tag", lambda: client.set_model_version_tag("taxi", 1, "validated", "yes"))
    step("version tag 2", lambda: client.set_model_version_tag("taxi", "1", "tmp", "x"))
    step("delete version tag", lambda: client.delete_model_version_tag("taxi", 1, "tmp"))
    step("model tag", lambda: client.set_registered_model_tag("taxi", "task", "regression"))
    step("delete missing tag", lambda: client.delete_registered_model_tag("taxi", "nothing"))
    step("version 1", lambda: client.get_model_version("taxi", 1))
    step("search all", lambda: client.search_registered_models())
    step("search LIKE", lambda: client.search_registered_models("name LIKE 'ta%'"))
    step("search tag", lambda: client.search_registered_models("tags.team = 'ml'"))
    step(
        "search order",
        lambda: client.search_registered_models(order_by=["name DESC"], max_results=1),
    )
    step("versions of taxi", lambda: client.search_model_versions("name='taxi'"))
    step(
        "versions > 1",
        lambda: client.search_model_versions(
            "name = 'taxi' AND version_number > 1", order_by=["version_number ASC"]
        ),
    )
    step("versions of run A", lambda: client.search_model_versions(f"run_id = '{A}'"))
    step(
        "versions tagged",
        lambda: client.search_model_versions("tags.validated = 'yes'"),
    )
    step(
        "versions paged",
        lambda: client.search_model_versions(
            "name='taxi'", max_results=2, order_by=["version_number DESC"]
        ),
    )
    step("load version", lambda: predict("models:/taxi/1"))
    step("load alias", lambda: predict("models:/taxi@champion"))
    step("load latest", lambda: predict("models:/taxi/latest"))
    step("load stage", lambda: predict("models:/taxi/Production"))
    step("load stage lower", lambda: predict("models:/taxi/staging"))
    step("load logged model", lambda: predict(f"models:/{model_a}"))
    step("load sklearn flavour", lambda: predict("models:/taxi/2", mlflow.sklearn))
    step("load missing alias", lambda: predict("models:/taxi@nope"))
    step("load missing version", lambda: predict("models:/taxi/42"))
    step("load empty stage", lambda: client.get_latest_versions("taxi", ["Staging"]))
    step("download uri", lambda: client.get_model_version_download_uri("taxi", 1))
    step(
        "download artifacts",
        lambda: (
            "MLmodel"
            in {
                name
                for _, _, files in os.walk(
                    mlflow.artifacts.download_artifacts("models:/taxi/1", dst_path="dl")
                )
                for name in files
            }
        ),
    )
    step("alias best->3", lambda: client.set_registered_model_alias("taxi", "best", 3))
    step("delete version 3", lambda: client.delete_model_version("taxi", 3))
    step("deleted version", lambda: client.get_model_version("taxi", 3))
    step("aliases after delete", lambda: client.get_registered_model("taxi"))
    step("register again", lambda: mlflow.register_model(f"runs:/{C}/model", "taxi"))
    step("rename", lambda: client.rename_registered_model("taxi", "taxi-v2"))
    step("old name", lambda: client.get_registered_model("taxi"))
    step("renamed version", lambda: client.get_model_version("taxi-v2", 1))
    step("rename onto other", lambda: client.rename_registered_model("taxi-v2", "other"))
    step("copy", lambda: client.copy_model_version("models:/taxi-v2@champion", "copy"))
    step("load copy", lambda: predict("models:/copy/1"))
    step("copy non-models uri", lambda: client.copy_model_version(f"runs:/{A}/model", "copy"))
    step("delete other", lambda: client.delete_registered_model("other"))
    step("delete missing", lambda: client.delete_registered_model("other"))
    step("recreate other", lambda: mlflow.register_model(f"runs:/{B}/model", "other"))
    step("delete run A", lambda: client.delete_run(A))
    step("load after run deleted", lambda: predict("models:/taxi-v2/1"))
    step("register missing path", lambda: mlflow.register_model(f"runs:/{B}/nothing", "other"))
    step("register missing path, new name", lambda: mlflow.register_model(f"runs:/{B}/no", "gh"))
    step("empty name", lambda: client.create_registered_model(""))
    step("name with slash", lambda: client.create_registered_model("a/b"))
    step("unknown version", lambda: client.get_model_version("taxi-v2", 99))
    step("unknown model", lambda: client.get_registered_model("nobody"))
    step("search all at end", lambda: client.search_registered_models())
    return steps


if __name__ == "__main__":
    result = main(sys.argv[1], sys.argv[2])
    sys.stdout.write("\n@@RESULT@@" + json.dumps(result))
