"""``mlflow.xgboost``'s API: save, log and load XGBoost models, and autolog training.

Boosters and the scikit-learn wrappers (``XGBRegressor``, ...) are saved with XGBoost's own
``save_model`` and MLmodel names ``mlflow.xgboost`` as loader, so MLflow loads the folder
too. The implementation is in ``minitrack.models.xgboost``; this module adds ``autolog``.
"""

from __future__ import annotations

from minitrack.models.xgboost import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "autolog", "load_model", "log_model", "save_model"]


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, str] | None = None,
) -> None:
    """Log params, per-round metrics, feature importance and the model of XGBoost training.

    Patches `xgboost.train` and the scikit-learn wrappers' `fit`. Same arguments as
    `mlflow.xgboost.autolog`; `log_datasets` and `disable_for_unsupported_versions` are
    accepted and have no effect.
    """
    from minitrack.autolog import xgboost as xgboost_autolog

    xgboost_autolog.enable(
        importance_types=importance_types,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        log_models=log_models,
        disable=disable,
        exclusive=exclusive,
        silent=silent,
        registered_model_name=registered_model_name,
        model_format=model_format,
        extra_tags=extra_tags,
    )
