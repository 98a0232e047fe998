"""MLflow-format model folders: MLmodel, signature, environment files, model URIs.

The flavours (`minitrack.sklearn`, `minitrack.xgboost`) and `minitrack.pyfunc` build on it.
"""

from minitrack.models.folder import (
    FlavorSpec,
    ModelInfo,
    get_model_info,
    log_model_folder,
    save_model_folder,
)
from minitrack.models.mlmodel import Model
from minitrack.models.signature import infer_signature
from minitrack.models.uri import resolve_model_uri

__all__ = [
    "FlavorSpec",
    "Model",
    "ModelInfo",
    "get_model_info",
    "infer_signature",
    "log_model_folder",
    "resolve_model_uri",
    "save_model_folder",
]
