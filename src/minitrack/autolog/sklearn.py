"""scikit-learn autologging: `fit` of estimators, pipelines and hyperparameter searches.

What one `fit` logs (MLflow's names): params `get_params(deep=True)`, tags
`estimator_name`/`estimator_class`, training metrics on the training data
(`training_mean_squared_error`, ..., or `training_accuracy_score`, ... for classifiers,
and `training_score`), the model, plus minitrack's `training_time_s` and
`model_size_bytes`. `GridSearchCV`/`RandomizedSearchCV` also log `best_<param>` params,
`best_cv_score`, the best estimator, and the `max_tuning_runs` best candidates as child runs.

Post-training metrics (`log_post_training_metrics=True`, the default): after the fit,
`sklearn.metrics` functions called on the model's predictions, and `model.score(X, y)`,
log to the run the model was fitted in, under MLflow's names such as
`mean_squared_error_X_test` and `LinearRegression_score_X_test` (see `post_training`).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from minitrack.autolog import patching, post_training
from minitrack.autolog.session import AUTOLOGGING_TAG, AutologRun, autolog_run
from minitrack.exceptions import MinitrackException

FLAVOR = "sklearn"
# Data preparation, not models: MLflow starts no run for their fit outside a Pipeline
# (log_loss fitting a LabelBinarizer must not log a run either).
NOT_AUTOLOGGED_MODULES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
)
NOT_AUTOLOGGED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)


def enable(**settings: Any) -> None:
    """Patch (or with disable=True, restore) `fit` of scikit-learn's estimators."""
    if settings.get("disable"):
        patching.set_config(FLAVOR, None)
        patching.on_import("sklearn", None)
        patching.unpatch_all(FLAVOR)
        post_training.disable()
        return
    try:
        import sklearn.base
    except ImportError as error:
        raise MinitrackException(
            "minitrack.sklearn.autolog() needs scikit-learn, which is not installed in this "
            "environment. Install it (pip install scikit-learn) where the kernel runs, or "
            "call minitrack.autolog() to enable only the libraries that are installed."
        ) from error
    del sklearn
    patching.set_config(FLAVOR, settings)
    if settings.get("log_post_training_metrics", True):
        post_training.enable(settings)
    else:
        post_training.disable()
    for name, module in list(sys.modules.items()):
        if name.startswith("sklearn.") and module is not None:
            _patch_module(module)
    patching.on_import("sklearn", _patch_module)


def _patch_module(module: Any) -> None:
    """Patch `fit` on every scikit-learn class (and base class) the module defines, and
    what post-training metrics need (prediction methods, score, sklearn.metrics)."""
    from sklearn.base import BaseEstimator

    for value in list(vars(module).values()):
        if not (isinstance(value, type) and issubclass(value, BaseEstimator)):
            continue
        for cls in value.__mro__:
            if "fit" in cls.__dict__ and _is_autologged(cls):
                patching.patch(FLAVOR, cls, "fit", _fit)
    post_training.patch_module(module)


def _is_autologged(cls: type) -> bool:
    module = cls.__module__
    return (
        module.startswith("sklearn.")
        and not module.startswith(NOT_AUTOLOGGED_MODULES)
        and f"{module}.{cls.__name__}" not in NOT_AUTOLOGGED_CLASSES
    )


def _fit(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
    settings = patching.config(FLAVOR) or {}
    with autolog_run(FLAVOR, settings) as run:
        if run is None:
            return original(self, *args, **kwargs)
        started = time.perf_counter()
        fitted = original(self, *args, **kwargs)
        training_time = time.perf_counter() - started

        X = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        with run.guard("params and tags"):
            run.log_params(self.get_params(deep=True))
            run.set_tags(
                {
                    "estimator_name": type(self).__name__,
                    "estimator_class": f"{type(self).__module__}.{type(self).__qualname__}",
                }
            )
        metrics: dict[str, float] = {"training_time_s": training_time}
        with run.guard("training metrics"):
            metrics.update(_training_metrics(self, X, y))
        if _is_search(self):
            with run.guard("search results"):
                metrics.update(_log_search(run, self))
        with run.guard("model"):
            if settings.get("log_models", True):
                metrics["model_size_bytes"] = _log_model(run, self, X, "model")
                if _is_search(self) and hasattr(self, "best_estimator_"):
                    _log_model(run, self.best_estimator_, X, "best_estimator")
        with run.guard("metrics"):
            run.log_metrics(metrics)
        if settings.get("log_post_training_metrics", True):
            post_training.remember_model(self, run.run_id)
        return fitted


def _is_search(estimator: Any) -> bool:
    from sklearn.model_selection._search import BaseSearchCV

    return isinstance(estimator, BaseSearchCV)


def _training_metrics(estimator: Any, X: Any, y: Any) -> dict[str, float]:
    """MLflow's training_* metrics, from one predict() on the training data."""
    if y is None or X is None or not hasattr(estimator, "predict"):
        return {}
    from sklearn import base, metrics

    y_pred = estimator.predict(X)
    if base.is_regressor(estimator):
        mse = metrics.mean_squared_error(y, y_pred)
        found = {
            "training_mean_squared_error": mse,
            "training_root_mean_squared_error": mse**0.5,
            "training_mean_absolute_error": metrics.mean_absolute_error(y, y_pred),
            "training_r2_score": metrics.r2_score(y, y_pred),
        }
        default_score = "training_r2_score"
    elif base.is_classifier(estimator):
        found = {"training_accuracy_score": metrics.accuracy_score(y, y_pred)}
        for name, function in [
            ("precision", metrics.precision_score),
            ("recall", metrics.recall_score),
            ("f1", metrics.f1_score),
        ]:
            found[f"training_{name}_score"] = function(
                y, y_pred, average="weighted", zero_division=0
            )
        if hasattr(estimator, "predict_proba"):
            probabilities = estimator.predict_proba(X)
            found["training_log_loss"] = metrics.log_loss(
                y, probabilities, labels=getattr(estimator, "classes_", None)
            )
        default_score = "training_accuracy_score"
    else:
        return {}
    # score() is r2 / accuracy unless the class defines its own: avoid predicting twice.
    if type(estimator).score in (base.RegressorMixin.score, base.ClassifierMixin.score):
        found["training_score"] = found[default_score]
    else:
        found["training_score"] = estimator.score(X, y)
    return {key: float(value) for key, value in found.items()}


def _log_model(run: AutologRun, estimator: Any, X: Any, artifact_path: str) -> int:
    from minitrack.models.folder import log_model_folder
    from minitrack.models.signature import first_rows, infer_signature
    from minitrack.models.sklearn import flavor_spec

    settings = run.settings
    head = first_rows(X)
    signature: dict | bool | None = False  # log_model_signatures=False: none, even with an example
    if head is not None and settings.get("log_model_signatures", True):
        output = estimator.predict(head) if hasattr(estimator, "predict") else None
        signature = infer_signature(head, output)
    info = log_model_folder(
        flavor_spec(estimator, settings.get("serialization_format") or "pickle", "predict"),
        artifact_path,
        run_id=run.run_id,
        # MLflow registers the fitted model, not a search's best_estimator copy.
        registered_model_name=(
            settings.get("registered_model_name") if artifact_path == "model" else None
        ),
        signature=signature,
        input_example=head if settings.get("log_input_examples") else None,
    )
    return int(info.model_size_bytes or 0)


def _log_search(run: AutologRun, search: Any) -> dict[str, float]:
    """best_* params and best_cv_score on the parent; the best candidates as child runs."""
    found: dict[str, float] = {}
    if hasattr(search, "best_params_"):
        run.log_params({f"best_{key}": value for key, value in search.best_params_.items()})
    if hasattr(search, "best_score_"):
        found["best_cv_score"] = float(search.best_score_)
    max_runs = run.settings.get("max_tuning_runs", 5)
    if max_runs == 0 or not hasattr(search, "cv_results_"):
        return found
    results = search.cv_results_
    ranks = list(results.get("rank_test_score", range(1, len(results["params"]) + 1)))
    order = sorted(range(len(ranks)), key=lambda i: ranks[i])
    if max_runs is not None:
        order = order[:max_runs]
    parent = run.client.get_run(run.run_id)
    for index in order:
        _log_candidate(run, parent.info.experiment_id, results, index)
    return found


def _log_candidate(run: AutologRun, experiment_id: str, results: dict, index: int) -> None:
    """One search candidate as a child run: its params and its cv_results_ numbers."""
    from minitrack.entities import Metric, Param

    child = run.client.create_run(
        experiment_id,
        tags={"mlflow.parentRunId": run.run_id, AUTOLOGGING_TAG: FLAVOR},
    )
    now = int(time.time() * 1000)
    params = [Param(str(k), str(v)[:6000]) for k, v in results["params"][index].items()]
    metrics = []
    for key, values in results.items():
        if key == "params" or key.startswith("param_"):
            continue
        try:
            value = float(values[index])
        except (TypeError, ValueError):
            continue
        metrics.append(Metric(key, value, now, 0))
    run.client.log_batch(child.info.run_id, metrics=metrics[:1000], params=params[:100])
    run.client.set_terminated(child.info.run_id)
