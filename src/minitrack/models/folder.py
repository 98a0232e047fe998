"""Writing a model folder and logging it to a run, shared by every flavour.

A flavour module (minitrack.sklearn, minitrack.xgboost) says how to write its model file
and what its MLmodel entries are; this module does the rest the same way for all of them:
the input example and signature, the environment files, the size, the MLmodel file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minitrack.exceptions import RESOURCE_ALREADY_EXISTS, MinitrackException
from minitrack.models.mlmodel import MLMODEL_FILE_NAME, PYFUNC_FLAVOR, Model, folder_size_bytes
from minitrack.models.requirements import _python_version, infer_requirements, write_environment
from minitrack.models.signature import first_rows, infer_signature, save_input_example
from minitrack.uris import append_path

DEFAULT_ARTIFACT_PATH = "model"
LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history"
MAX_TAG_VALUE = 8000


@dataclass
class FlavorSpec:
    """What one flavour contributes to a model folder."""

    name: str  # "sklearn"
    loader_module: str  # MLflow's loader, e.g. "mlflow.sklearn", so MLflow can load it too
    model_file: str  # file name inside the folder
    write_model: Callable[[Path], None]  # writes the model file at the given path
    flavor_conf: dict[str, Any]  # the flavour's own MLmodel section
    pyfunc_conf: dict[str, Any] = field(default_factory=dict)  # extra python_function keys
    distributions: Iterable[str] = ()  # libraries the model needs to load
    modules: Iterable[str] = ()  # modules the serialised model refers to
    predict: Callable[[Any], Any] | None = None  # for the signature's outputs


@dataclass
class ModelInfo:
    """What log_model returns (MLflow's `ModelInfo`, the fields students use)."""

    artifact_path: str
    flavors: dict[str, Any]
    model_uri: str
    model_uuid: str
    run_id: str | None
    signature: dict[str, Any] | None
    utc_time_created: str
    model_size_bytes: int | None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    model_id: str | None = None  # MLflow 3's logged model, m-<32 hex>: models:/<model_id>
    registered_model_version: int | None = None  # when registered_model_name= was given


def _prepare_empty_folder(path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise MinitrackException(
            f"Cannot save the model to '{path}': that path already exists and is not empty. "
            "Choose a new folder, or delete the old one first.",
            RESOURCE_ALREADY_EXISTS,
        )
    path.mkdir(parents=True, exist_ok=True)


def _requirements(
    spec: FlavorSpec, pip_requirements: list[str] | None, extra_pip_requirements: list[str] | None
) -> list[str]:
    if pip_requirements is not None:
        return list(pip_requirements)
    return infer_requirements(spec.distributions, spec.modules) + list(extra_pip_requirements or [])


def save_model_folder(
    spec: FlavorSpec,
    path: str | Path,
    *,
    input_example: Any = None,
    signature: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    run_id: str | None = None,
    artifact_path: str | None = None,
) -> Model:
    """Write a complete MLflow-format model folder at `path` and return its MLmodel."""
    path = Path(path)
    _prepare_empty_folder(path)
    try:
        spec.write_model(path / spec.model_file)
        example_info = (
            save_input_example(path, input_example) if input_example is not None else None
        )
        if signature is False:  # asked for no signature, even with an input example
            signature = None
        elif signature is None and example_info is not None:
            output = spec.predict(input_example) if spec.predict else None
            signature = infer_signature(input_example, output)
        elif signature is not None and not isinstance(signature, dict):
            signature = _signature_dict(signature)
        env = write_environment(path, _requirements(spec, pip_requirements, extra_pip_requirements))
        model = Model(
            artifact_path=artifact_path,
            run_id=run_id,
            signature=signature,
            saved_input_example_info=example_info,
            metadata=metadata,
        )
        model.add_flavor(
            PYFUNC_FLAVOR,
            loader_module=spec.loader_module,
            env=env,
            python_version=_python_version(),
            **spec.pyfunc_conf,
        )
        model.add_flavor(spec.name, **spec.flavor_conf)
        # Measured before MLmodel exists, like MLflow: the size of what the model needs.
        model.model_size_bytes = folder_size_bytes(path)
        model.save(path / MLMODEL_FILE_NAME)
    except BaseException:
        # A half-written folder would look like a model: remove it.
        shutil.rmtree(path, ignore_errors=True)
        raise
    return model


def _signature_dict(signature: Any) -> dict[str, Any]:
    """Accept MLflow's ModelSignature objects too (they offer to_dict())."""
    to_dict = getattr(signature, "to_dict", None)
    if to_dict is None:
        raise MinitrackException(
            f"signature must be a dict with 'inputs'/'outputs' JSON strings or an object with "
            f"to_dict(), got {type(signature).__name__}. Or pass input_example= and let "
            "minitrack infer it."
        )
    return to_dict()


def log_model_folder(
    spec: FlavorSpec,
    artifact_path: str | None = None,
    run_id: str | None = None,
    registered_model_name: str | None = None,
    **save_kwargs: Any,
) -> ModelInfo:
    """Save the model into a run's artifacts under `artifact_path` ("model").

    The run is `run_id`, else the active run, else a new run (as MLflow's log_model does).
    Like MLflow 3, it also records a logged model (`models:/m-<id>`), here pointing at the
    folder in the run's artifacts, so `runs:/<run_id>/<path>` keeps working too. A
    tracking server gives the logged model a folder of its own: the files go there too,
    where MLflow 3 (and the server's registry) look for `models:/m-<id>`. With
    `registered_model_name`, the model is registered as a new version of that name.
    """
    from minitrack import fluent
    from minitrack.client import MlflowClient

    artifact_path = artifact_path or DEFAULT_ARTIFACT_PATH
    if registered_model_name is not None:
        from minitrack.validation import registered_model_name as check_name

        check_name(registered_model_name, "registered_model_name")  # before anything is written
    if run_id is None:
        run_id = (fluent.active_run() or fluent.start_run()).info.run_id
    client = MlflowClient()
    run = client.get_run(run_id)
    model_id = f"m-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory(prefix="minitrack-model-") as tmp:
        local = Path(tmp) / "model"
        model = save_model_folder(
            spec, local, run_id=run_id, artifact_path=artifact_path, **save_kwargs
        )
        # A tracking server picks the logged model's id and folder itself: ask for it
        # before MLmodel is written, so MLmodel names the id the server knows.
        logged = client.create_logged_model(
            run.info.experiment_id, name=artifact_path, source_run_id=run_id, model_id=model_id
        )
        try:
            model.extra["model_id"] = logged.model_id  # MLflow 3 writes it into MLmodel too
            model.save(local / MLMODEL_FILE_NAME)
            client.log_artifacts(run_id, str(local), artifact_path)
            if logged.artifact_location != append_path(run.info.artifact_uri, artifact_path):
                # The server's folder for it, where MLflow 3 looks for models:/m-<id>.
                client.log_model_artifacts(logged.model_id, str(local))
        except BaseException:
            client.finalize_logged_model(logged.model_id, "FAILED")
            raise
    _append_log_model_history(run_id, model)
    registered_version = None
    if registered_model_name is not None:
        registered_version = client._register_model(
            f"runs:/{run_id}/{artifact_path}", registered_model_name, None
        ).version
    return ModelInfo(
        artifact_path=artifact_path,
        flavors=model.flavors,
        model_uri=f"runs:/{run_id}/{artifact_path}",
        model_uuid=model.model_uuid,
        run_id=run_id,
        signature=model.signature,
        utc_time_created=model.utc_time_created,
        model_size_bytes=model.model_size_bytes,
        saved_input_example_info=model.saved_input_example_info,
        metadata=model.metadata,
        model_id=logged.model_id,
        registered_model_version=registered_version,
    )


def get_model_info(model_uri: str | Path) -> ModelInfo:
    """MLflow's `mlflow.models.get_model_info`: what a model's MLmodel says, by its URI."""
    from minitrack.models.uri import resolve_model_uri

    model = Model.load(resolve_model_uri(model_uri))
    return ModelInfo(
        artifact_path=model.artifact_path or "",
        flavors=model.flavors,
        model_uri=str(model_uri),
        model_uuid=model.model_uuid,
        run_id=model.run_id,
        signature=model.signature,
        utc_time_created=model.utc_time_created,
        model_size_bytes=model.model_size_bytes,
        saved_input_example_info=model.saved_input_example_info,
        metadata=model.metadata,
    )


def _append_log_model_history(run_id: str, model: Model) -> None:
    """MLflow's `mlflow.log-model.history` tag: the UI's "Models" column reads it."""
    from minitrack.client import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    history = json.loads(run.data.tags.get(LOG_MODEL_HISTORY_TAG, "[]"))
    kept = ("artifact_path", "flavors", "run_id", "utc_time_created", "model_uuid")
    history.append({key: value for key, value in model.to_dict().items() if key in kept})
    value = json.dumps(history)
    while len(value) > MAX_TAG_VALUE and len(history) > 1:
        history.pop(0)  # tag values are capped: keep the newest models
        value = json.dumps(history)
    client.set_tag(run_id, LOG_MODEL_HISTORY_TAG, value)


__all__ = [
    "FlavorSpec",
    "ModelInfo",
    "first_rows",
    "get_model_info",
    "log_model_folder",
    "save_model_folder",
]


def reject_conda_env(conda_env: Any) -> None:
    """Every flavour's log_model/save_model: conda.yaml is written, never taken."""
    if conda_env is not None:
        raise MinitrackException(
            "conda_env is not supported: minitrack writes conda.yaml from the installed "
            "versions. Use pip_requirements= or extra_pip_requirements= instead."
        )
