"""The scikit-learn flavour's implementation: save, log and load estimators in MLflow's format.

``minitrack.sklearn`` is the public module (with ``autolog``); the autologger builds on
``flavor_spec`` here, below both.

`minitrack.sklearn.log_model(model, name="model")` writes the same folder MLflow writes
(pickle serialisation, `loader_module: mlflow.sklearn`), so `mlflow.sklearn.load_model`
and `mlflow.pyfunc.load_model` read it as well as minitrack does.
"""

from __future__ import annotations

import pickle
import types
from pathlib import Path
from typing import Any

from minitrack.exceptions import MinitrackException
from minitrack.models.folder import (
    FlavorSpec,
    ModelInfo,
    log_model_folder,
    reject_conda_env,
    save_model_folder,
)
from minitrack.models.mlmodel import Model
from minitrack.models.requirements import installed_version
from minitrack.models.uri import resolve_model_uri

FLAVOR_NAME = "sklearn"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SUPPORTED_SERIALIZATION_FORMATS = [SERIALIZATION_FORMAT_PICKLE, SERIALIZATION_FORMAT_CLOUDPICKLE]
MODEL_FILE = "model.pkl"


class _ModuleRecordingPickler(pickle.Pickler):
    """A pickler that notes the top-level package of every object it writes.

    Those packages are what unpickling will import, hence the model's requirements.
    """

    def __init__(self, file: Any, modules: set[str]) -> None:
        super().__init__(file, protocol=pickle.DEFAULT_PROTOCOL)
        self._modules = modules

    def persistent_id(self, obj: Any) -> None:
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            module = getattr(obj, "__module__", None)
        else:
            module = type(obj).__module__
        if module:
            self._modules.add(module.partition(".")[0])
        return None  # pickle the object normally


def flavor_spec(sk_model: Any, serialization_format: str, pyfunc_predict_fn: str) -> FlavorSpec:
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise MinitrackException(
            f"Unsupported serialization_format '{serialization_format}': minitrack writes "
            f"{' or '.join(SUPPORTED_SERIALIZATION_FORMATS)} (MLflow's names). "
            "Leave it out to use 'pickle'."
        )
    modules: set[str] = {"sklearn"}
    distributions = ["scikit-learn", "numpy", "scipy"]

    def write_model(path: Path) -> None:
        with open(path, "wb") as out:
            if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
                import cloudpickle

                cloudpickle.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
            else:
                _ModuleRecordingPickler(out, modules).dump(sk_model)

    if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
        distributions.append("cloudpickle")
    return FlavorSpec(
        name=FLAVOR_NAME,
        loader_module="mlflow.sklearn",
        model_file=MODEL_FILE,
        write_model=write_model,
        flavor_conf={
            "pickled_model": MODEL_FILE,
            "sklearn_version": installed_version("scikit-learn"),
            "serialization_format": serialization_format,
            "code": None,
        },
        pyfunc_conf={"model_path": MODEL_FILE, "predict_fn": pyfunc_predict_fn},
        distributions=distributions,
        modules=modules,  # filled while the model file is written, read afterwards
        predict=getattr(sk_model, pyfunc_predict_fn, None),
    )


def save_model(
    sk_model: Any,
    path: str | Path,
    conda_env: Any = None,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
) -> None:
    """Save a scikit-learn model to a new local folder `path` in MLflow's format."""
    reject_conda_env(conda_env)
    save_model_folder(
        flavor_spec(sk_model, serialization_format, pyfunc_predict_fn),
        path,
        input_example=input_example,
        signature=signature,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    name: str | None = None,
    **_ignored: Any,
) -> ModelInfo:
    """Log a scikit-learn model as an artifact of the active run (one is started if none).

    `name` (MLflow 3) and `artifact_path` (MLflow 2) both name the folder, default "model".
    Returns a ModelInfo whose `model_uri` is `runs:/<run_id>/<name>`.
    """
    reject_conda_env(conda_env)
    return log_model_folder(
        flavor_spec(sk_model, serialization_format, pyfunc_predict_fn),
        name or artifact_path,
        registered_model_name=registered_model_name,
        input_example=input_example,
        signature=signature,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def load_model(model_uri: str | Path, dst_path: str | None = None) -> Any:
    """Load the scikit-learn model at `runs:/<run_id>/<path>` or a local folder."""
    folder = resolve_model_uri(model_uri)
    conf = Model.load(folder).flavor(FLAVOR_NAME, str(model_uri))
    return _load_from_file(folder / conf["pickled_model"], conf.get("serialization_format"))


def _load_from_file(path: Path, serialization_format: str | None) -> Any:
    serialization_format = serialization_format or SERIALIZATION_FORMAT_PICKLE
    if serialization_format == "skops":
        raise MinitrackException(
            f"The model file '{path}' is in the 'skops' format, which minitrack does not read. "
            "Load it with MLflow (mlflow.sklearn.load_model), or save the model with "
            "serialization_format='pickle'."
        )
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise MinitrackException(
            f"The model file '{path}' has the unknown serialization_format "
            f"'{serialization_format}'; minitrack reads {SUPPORTED_SERIALIZATION_FORMATS}."
        )
    with open(path, "rb") as f:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(f)
        return pickle.load(f)


class _SklearnPyfuncWrapper:
    """What pyfunc.load_model wraps: predict() with the method chosen at save time."""

    def __init__(self, sk_model: Any, predict_fn: str = "predict") -> None:
        self.sk_model = sk_model
        self._predict = getattr(sk_model, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)

    def get_raw_model(self) -> Any:
        return self.sk_model


def load_pyfunc(folder: Path, model: Model) -> _SklearnPyfuncWrapper:
    conf = model.flavors.get(FLAVOR_NAME, {})
    pyfunc_conf = model.flavors["python_function"]
    path = folder / pyfunc_conf.get("model_path", conf.get("pickled_model", MODEL_FILE))
    sk_model = _load_from_file(path, conf.get("serialization_format"))
    return _SklearnPyfuncWrapper(sk_model, pyfunc_conf.get("predict_fn", "predict"))
