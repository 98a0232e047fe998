"""XGBoost autologging: `xgboost.train` and the scikit-learn wrappers' `fit`.

What one training logs (MLflow's names): params (the booster params and train()'s other
arguments, or `get_params()`), per-round metrics `<eval_name>-<metric>` with step = round,
`best_iteration`/`stopped_iteration` with early stopping (and the best round's values
again at the last step), `feature_importance_<type>.json` (+ a png with matplotlib), the
model, and minitrack's `training_time_s` and `model_size_bytes`.

Per-round values are collected by XGBoost itself (`evals_result`) and written in one batch
after training: no callback runs per round and no database commit happens per value.
"""

from __future__ import annotations

import inspect
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from minitrack.autolog import patching
from minitrack.autolog.session import AutologRun, autolog_run
from minitrack.exceptions import MinitrackException

FLAVOR = "xgboost"
# train() arguments that are data or code, not settings worth a param.
_UNLOGGED_TRAIN_ARGS = {
    "params",
    "dtrain",
    "evals",
    "obj",
    "feval",
    "evals_result",
    "xgb_model",
    "callbacks",
    "learning_rates",
    "custom_metric",
}


def enable(**settings: Any) -> None:
    """Patch (or with disable=True, restore) XGBoost's training entry points."""
    if settings.get("disable"):
        patching.set_config(FLAVOR, None)
        patching.unpatch_all(FLAVOR)
        return
    try:
        import xgboost
        import xgboost.sklearn
    except ImportError as error:
        raise MinitrackException(
            "minitrack.xgboost.autolog() needs XGBoost, which is not installed in this "
            "environment. Install it (pip install xgboost) where the kernel runs, or call "
            "minitrack.autolog() to enable only the libraries that are installed."
        ) from error
    if settings.get("importance_types") is None:
        settings["importance_types"] = ["weight"]
    patching.set_config(FLAVOR, settings)
    patching.patch(FLAVOR, xgboost, "train", _train)
    for cls in vars(xgboost.sklearn).values():
        if isinstance(cls, type) and issubclass(cls, xgboost.XGBModel) and "fit" in cls.__dict__:
            patching.patch(FLAVOR, cls, "fit", _fit)


def _train(original: Any, *args: Any, **kwargs: Any) -> Any:
    settings = patching.config(FLAVOR) or {}
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    with autolog_run(FLAVOR, settings) as run:
        if run is None:
            return original(*args, **kwargs)
        if bound.arguments.get("evals_result") is None:
            # XGBoost fills this dict with every round's values: cheaper than a callback.
            bound.arguments["evals_result"] = {}
        started = time.perf_counter()
        booster = original(*bound.args, **bound.kwargs)
        training_time = time.perf_counter() - started

        booster_params = dict(bound.arguments.get("params") or {})
        call_params = {
            key: value for key, value in bound.arguments.items() if key not in _UNLOGGED_TRAIN_ARGS
        }
        _log_training(
            run,
            params={**booster_params, **call_params},
            evals_result=bound.arguments["evals_result"],
            early_stopping=bound.arguments.get("early_stopping_rounds") is not None,
            booster=booster,
            model=booster,
            example=None,
            training_time=training_time,
        )
        return booster


def _fit(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
    settings = patching.config(FLAVOR) or {}
    with autolog_run(FLAVOR, settings) as run:
        if run is None:
            return original(self, *args, **kwargs)
        started = time.perf_counter()
        fitted = original(self, *args, **kwargs)
        training_time = time.perf_counter() - started

        evals_result: dict[str, Any] = {}
        try:
            evals_result = self.evals_result()
        except Exception:  # noqa: BLE001 - no eval_set: XGBoost raises
            evals_result = {}
        features = args[0] if args else kwargs.get("X")
        _log_training(
            run,
            params=self.get_params(),
            evals_result=evals_result,
            early_stopping=_has_best_iteration(self),
            booster=self.get_booster(),
            model=self,
            example=features,
            training_time=training_time,
        )
        return fitted


def _has_best_iteration(model: Any) -> bool:
    try:
        model.best_iteration  # noqa: B018 - XGBoost raises when there was no early stopping
    except AttributeError:
        return False
    return True


def _log_training(
    run: AutologRun,
    *,
    params: dict[str, Any],
    evals_result: dict[str, dict[str, list[Any]]],
    early_stopping: bool,
    booster: Any,
    model: Any,
    example: Any,
    training_time: float,
) -> None:
    settings = run.settings
    with run.guard("params"):
        run.log_params(params)
    rows: list[tuple[str, float, int]] = []
    history: dict[str, list[float]] = {}
    for data_name, metrics in evals_result.items():
        for metric_name, values in metrics.items():
            key = f"{data_name}-{metric_name}"
            # Custom metrics with a std come as (mean, std): keep the mean, like MLflow.
            history[key] = [v[0] if isinstance(v, (tuple, list)) else v for v in values]
            rows.extend((key, value, step) for step, value in enumerate(history[key]))
    rounds = max((len(v) for v in history.values()), default=0)
    extra: dict[str, float] = {"training_time_s": training_time}
    if early_stopping and rounds:
        best = int(booster.best_iteration)
        extra["stopped_iteration"] = rounds - 1
        extra["best_iteration"] = best
        # The best round's values again, one step after the last round (MLflow does this).
        rows.extend((key, values[best], rounds) for key, values in history.items())
    with run.guard("model"):
        if settings.get("log_models", True):
            extra["model_size_bytes"] = _log_model(run, model, example)
    rows.extend((key, value, 0) for key, value in extra.items())
    with run.guard("metrics"):
        run.log_metric_rows(rows)
    with run.guard("feature importance"):
        _log_feature_importance(run, booster, settings["importance_types"])


def _log_model(run: AutologRun, model: Any, example: Any) -> int:
    from minitrack.models.folder import log_model_folder
    from minitrack.models.signature import first_rows, infer_signature
    from minitrack.models.xgboost import XGBPyfuncWrapper, flavor_spec

    settings = run.settings
    spec = flavor_spec(model, settings.get("model_format") or "ubj")
    head = first_rows(example) if example is not None else None
    signature: dict | bool | None = False  # log_model_signatures=False: none, even with an example
    if head is not None and settings.get("log_model_signatures", True):
        signature = infer_signature(head, XGBPyfuncWrapper(model).predict(head))
    info = log_model_folder(
        spec,
        "model",
        run_id=run.run_id,
        registered_model_name=settings.get("registered_model_name"),
        signature=signature,
        input_example=head if settings.get("log_input_examples") else None,
    )
    return int(info.model_size_bytes or 0)


def _log_feature_importance(run: AutologRun, booster: Any, importance_types: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="minitrack-importance-") as tmp:
        folder = Path(tmp)
        for importance_type in importance_types:
            scores = booster.get_score(importance_type=importance_type)
            if not scores:
                continue  # a model of stumps has no splits to rank
            stem = f"feature_importance_{importance_type}"
            (folder / f"{stem}.json").write_text(json.dumps(scores), encoding="utf-8")
            _plot_importance(scores, importance_type, folder / f"{stem}.png")
        if any(folder.iterdir()):
            run.client.log_artifacts(run.run_id, str(folder))


def _plot_importance(scores: dict[str, float], importance_type: str, path: Path) -> None:
    """A horizontal bar chart of the 20 largest scores, only when matplotlib is installed.

    Drawn straight onto a bare figure with Agg: no Axes, ticks or layout pass, which cost
    several times more than the bars themselves; text is the dearest part left, so the
    values stay in the JSON file. The user's pyplot backend is untouched.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Rectangle
    except ImportError:
        return
    ranked = sorted(scores.items(), key=lambda item: item[1])[-20:]
    row = 0.25  # inches per bar
    height = row * len(ranked) + 0.6
    figure = Figure(figsize=(6, height), dpi=72)
    figure.text(0.5, 1 - 0.25 / height, f"Feature importance ({importance_type})", ha="center")
    largest = max(value for _, value in ranked) or 1.0
    for index, (name, value) in enumerate(ranked):
        bottom, middle = (0.15 + index * row) / height, (0.15 + (index + 0.35) * row) / height
        width = 0.55 * value / largest
        bar = Rectangle((0.3, bottom), width, 0.7 * row / height, color="#1f77b4")
        bar.set_transform(figure.transFigure)
        figure.patches.append(bar)
        figure.text(0.29, middle, str(name), ha="right", va="center", fontsize=9)
    FigureCanvasAgg(figure).print_png(str(path))
