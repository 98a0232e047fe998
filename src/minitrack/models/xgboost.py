"""The XGBoost flavour: save, log and load boosters in MLflow's model format.

Boosters and the scikit-learn wrappers (`XGBRegressor`, ...) are saved with XGBoost's own
`save_model` as `model.ubj` (or `model.json`/`model.xgb`, `model_format=`), and MLmodel
names `mlflow.xgboost` as loader, so MLflow loads the folder too.
"""

from __future__ import annotations

import importlib
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

FLAVOR_NAME = "xgboost"
MODEL_FORMATS = ("ubj", "json", "xgb", "deprecated")


def _class_name(xgb_model: Any) -> str:
    cls = type(xgb_model)
    return f"{cls.__module__}.{cls.__qualname__}"


def _import_xgboost() -> Any:
    try:
        import xgboost
    except ImportError as error:
        raise MinitrackException(
            "XGBoost is not installed in this environment, so minitrack.xgboost cannot load "
            "or log XGBoost models. Install it (pip install xgboost) in the same environment "
            "as the kernel, then restart the kernel."
        ) from error
    return xgboost


def flavor_spec(xgb_model: Any, model_format: str) -> FlavorSpec:
    if model_format not in MODEL_FORMATS:
        raise MinitrackException(
            f"Unsupported model_format '{model_format}': XGBoost writes "
            f"{', '.join(MODEL_FORMATS[:3])}. Leave it out to use 'ubj'."
        )
    xgboost = _import_xgboost()
    if not isinstance(xgb_model, (xgboost.Booster, xgboost.XGBModel)):
        raise MinitrackException(
            f"minitrack.xgboost saves an xgboost.Booster or an XGBoost scikit-learn model "
            f"(XGBRegressor, ...), got {type(xgb_model).__name__}. For other scikit-learn "
            "models use minitrack.sklearn.log_model."
        )
    model_file = f"model.{model_format}"
    distributions = ["xgboost", "numpy", "scipy"]
    if isinstance(xgb_model, xgboost.XGBModel):
        distributions.append("scikit-learn")  # the wrapper classes subclass sklearn's

    def write_model(path: Path) -> None:
        xgb_model.save_model(str(path))

    return FlavorSpec(
        name=FLAVOR_NAME,
        loader_module="mlflow.xgboost",
        model_file=model_file,
        write_model=write_model,
        flavor_conf={
            "data": model_file,
            "model_class": _class_name(xgb_model),
            "model_format": model_format,
            "xgb_version": installed_version("xgboost"),
            "code": None,
        },
        pyfunc_conf={"data": model_file},
        distributions=distributions,
        predict=XGBPyfuncWrapper(xgb_model).predict,
    )


def save_model(
    xgb_model: Any,
    path: str | Path,
    conda_env: Any = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
) -> None:
    """Save an XGBoost model to a new local folder `path` in MLflow's format."""
    reject_conda_env(conda_env)
    save_model_folder(
        flavor_spec(xgb_model, model_format),
        path,
        input_example=input_example,
        signature=signature,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    conda_env: Any = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    model_format: str = "ubj",
    metadata: dict[str, Any] | None = None,
    name: str | None = None,
    **_ignored: Any,
) -> ModelInfo:
    """Log an XGBoost model as an artifact of the active run (one is started if none)."""
    reject_conda_env(conda_env)
    return log_model_folder(
        flavor_spec(xgb_model, model_format),
        name or artifact_path,
        registered_model_name=registered_model_name,
        input_example=input_example,
        signature=signature,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
    )


def _load_from_folder(folder: Path, conf: dict[str, Any]) -> Any:
    _import_xgboost()  # a clear message when XGBoost is missing
    module_name, _, class_name = conf.get("model_class", "xgboost.core.Booster").rpartition(".")
    if not module_name.startswith("xgboost"):
        raise MinitrackException(
            f"The model in '{folder}' names the class '{module_name}.{class_name}', which is "
            "not an XGBoost class; minitrack.xgboost loads only XGBoost models."
        )
    model = getattr(importlib.import_module(module_name), class_name)()
    model.load_model(str(folder / conf["data"]))
    return model


def load_model(model_uri: str | Path, dst_path: str | None = None) -> Any:
    """Load the XGBoost model at `runs:/<run_id>/<path>` or a local folder.

    Returns the class that was saved: an `xgboost.Booster`, or `XGBRegressor` etc.
    """
    folder = resolve_model_uri(model_uri)
    conf = Model.load(folder).flavor(FLAVOR_NAME, str(model_uri))
    return _load_from_folder(folder, conf)


class XGBPyfuncWrapper:
    """predict() on a DataFrame/array for both boosters and scikit-learn wrappers."""

    def __init__(self, xgb_model: Any) -> None:
        self.xgb_model = xgb_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost

        if isinstance(self.xgb_model, xgboost.Booster):
            return self.xgb_model.predict(xgboost.DMatrix(data))
        return self.xgb_model.predict(data)

    def get_raw_model(self) -> Any:
        return self.xgb_model


def load_pyfunc(folder: Path, model: Model) -> XGBPyfuncWrapper:
    return XGBPyfuncWrapper(_load_from_folder(folder, model.flavors[FLAVOR_NAME]))
