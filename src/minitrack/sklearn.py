"""``mlflow.sklearn``'s API: save, log and load scikit-learn estimators, and autolog them.

``minitrack.sklearn.log_model(model, name="model")`` writes the same folder MLflow writes
(pickle serialisation, ``loader_module: mlflow.sklearn``), so ``mlflow.sklearn.load_model``
and ``mlflow.pyfunc.load_model`` read it as well as minitrack does. The implementation is
in ``minitrack.models.sklearn``; this module adds ``autolog`` on top.
"""

from __future__ import annotations

from typing import Any

from minitrack.models.sklearn import (
    FLAVOR_NAME,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SUPPORTED_SERIALIZATION_FORMATS,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str = SERIALIZATION_FORMAT_PICKLE,
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Log params, training metrics, tags and the model of every scikit-learn `fit`.

    Same arguments as `mlflow.sklearn.autolog`; `log_datasets` and
    `disable_for_unsupported_versions` are accepted and have no effect.
    """
    from minitrack.autolog import sklearn as sklearn_autolog

    sklearn_autolog.enable(
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        disable=disable,
        exclusive=exclusive,
        silent=silent,
        max_tuning_runs=max_tuning_runs,
        log_post_training_metrics=log_post_training_metrics,
        serialization_format=serialization_format,
        registered_model_name=registered_model_name,
        pos_label=pos_label,
        extra_tags=extra_tags,
    )
