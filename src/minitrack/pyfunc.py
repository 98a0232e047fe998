"""`minitrack.pyfunc.load_model(uri).predict(data)`: any supported model behind one predict().

The loader named in MLmodel's `python_function` section picks the flavour. Folders name
MLflow's loaders (`mlflow.sklearn`) so MLflow can read them; minitrack maps each of those
names to its own flavour module.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from minitrack.exceptions import MinitrackException
from minitrack.models.mlmodel import PYFUNC_FLAVOR, Model
from minitrack.models.uri import resolve_model_uri

FLAVOR_NAME = PYFUNC_FLAVOR

# MLflow's loader module -> the module of minitrack's flavour (each has `load_pyfunc`).
_LOADERS = {
    "mlflow.sklearn": "minitrack.models.sklearn",
    "mlflow.xgboost": "minitrack.models.xgboost",
    "minitrack.sklearn": "minitrack.models.sklearn",
    "minitrack.xgboost": "minitrack.models.xgboost",
}


class PyFuncModel:
    """A loaded model with MLflow's pyfunc interface: predict(), metadata, unwrap_python_model."""

    def __init__(self, implementation: Any, metadata: Model, loader_module: str) -> None:
        self._implementation = implementation
        self.metadata = metadata
        self.loader_module = loader_module

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._implementation.predict(data, params=params)

    def get_raw_model(self) -> Any:
        """The underlying scikit-learn estimator or XGBoost model."""
        return self._implementation.get_raw_model()

    def __repr__(self) -> str:
        flavors = ", ".join(f for f in self.metadata.flavors if f != PYFUNC_FLAVOR)
        return f"PyFuncModel(flavor={flavors}, run_id={self.metadata.run_id})"


def load_model(
    model_uri: str | Path, suppress_warnings: bool = False, **_ignored: Any
) -> PyFuncModel:
    """Load the model at `runs:/<run_id>/<path>` or a local folder for predict()."""
    folder = resolve_model_uri(model_uri)
    model = Model.load(folder)
    conf = model.flavor(PYFUNC_FLAVOR, str(model_uri))
    loader = conf.get("loader_module")
    if loader not in _LOADERS:
        supported = sorted(k.split(".")[1] for k in _LOADERS if k.startswith("mlflow."))
        raise MinitrackException(
            f"Cannot load the model at '{model_uri}': it was saved by loader '{loader}' "
            f"(flavours: {', '.join(model.flavors)}), and minitrack loads only "
            f"{' and '.join(supported)} models. Load it with MLflow instead "
            "(mlflow.pyfunc.load_model)."
        )
    flavor_module = importlib.import_module(_LOADERS[loader])
    return PyFuncModel(flavor_module.load_pyfunc(folder, model), model, loader)
