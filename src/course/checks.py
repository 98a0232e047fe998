"""The "check your work" cells: inspect the tracking store and say, item by item, what is right.

Every ``lesson_NN`` function takes the tracker module the lesson uses (``minitrack`` imported
as ``mlflow``, or MLflow itself) and only calls MLflow's public API on it, so the same checks
run on both. It returns a list of :class:`Verdict`; :func:`report` prints them for the student
and saves them as JSON (``check-your-work/<lesson>.json``) for the lesson runner and the tests.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS_DIR = "check-your-work"
STRICT_ENV = "COURSE_STRICT_CHECKS"

# The search space of lesson 02, as in the course.
SWEEP_PARAMS = ("max_depth", "learning_rate", "reg_alpha", "reg_lambda", "min_child_weight")
# What an MLflow model folder holds besides the model file.
MODEL_FOLDER_FILES = ("MLmodel", "conda.yaml", "python_env.yaml", "requirements.txt")


@dataclass
class Verdict:
    item: str  # what was checked, in the student's words
    ok: bool
    detail: str  # what was seen, or what is missing and how to fix it


class ChecksFailed(AssertionError):
    """Raised by :func:`report` in strict mode when an item fails (see :func:`_strict`)."""


def report(verdicts: list[Verdict], lesson: str, folder: str | os.PathLike = RESULTS_DIR) -> None:
    """Print each verdict and save them all to ``<folder>/<lesson>.json``.

    Returns nothing, so the notebook cell shows the printed lines only.
    """
    for verdict in verdicts:
        mark = "[ok]     " if verdict.ok else "[missing]"
        print(f"{mark} {verdict.item}: {verdict.detail}")
    passed = sum(v.ok for v in verdicts)
    print(f"\n{passed} of {len(verdicts)} checks passed.", end=" ")
    print("Well done!" if passed == len(verdicts) else "Fix the items marked [missing] above.")

    path = Path(folder) / f"{lesson}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "lesson": lesson,
        "passed": passed == len(verdicts),
        "verdicts": [asdict(v) for v in verdicts],
    }
    path.write_text(json.dumps(result, indent=2))
    if _strict() and passed < len(verdicts):
        missing = ", ".join(v.item for v in verdicts if not v.ok)
        raise ChecksFailed(f"{lesson}: {missing}")


def _strict() -> bool:
    """Raise on a failed item? ``COURSE_STRICT_CHECKS`` decides; unset, ``COURSE_FAST=1`` (how
    instructors run ``pytest --nbmake lessons/``) turns it on so a failed check fails the test."""
    if os.environ.get(STRICT_ENV) is not None:
        return os.environ[STRICT_ENV] == "1"
    return os.environ.get("COURSE_FAST") in ("1", "true")


def load_report(lesson: str, folder: str | os.PathLike = RESULTS_DIR) -> dict | None:
    """The saved verdicts of ``lesson``, or None when its check cell has not run."""
    path = Path(folder) / f"{lesson}.json"
    return json.loads(path.read_text()) if path.exists() else None


# --------------------------------------------------------------------------- helpers


def _check(item: str, ok: bool, good: str, bad: str) -> Verdict:
    return Verdict(item, bool(ok), good if ok else bad)


def _experiment(mlflow, name: str):
    return mlflow.MlflowClient().get_experiment_by_name(name)


def _runs(mlflow, experiment_id: str, filter_string: str = "") -> list:
    return list(
        mlflow.MlflowClient().search_runs(
            [experiment_id], filter_string=filter_string, order_by=["attributes.start_time DESC"]
        )
    )


def _artifact_paths(mlflow, run_id: str, path: str | None = None) -> set[str]:
    """Every file path under ``path`` in the run's artifacts."""
    client = mlflow.MlflowClient()
    found: set[str] = set()
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found |= _artifact_paths(mlflow, run_id, info.path)
        else:
            found.add(info.path)
    return found


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not math.isnan(value)


def _show(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"


def _metric_items(metrics: dict, names: tuple[str, ...], how: str) -> list[Verdict]:
    return [
        _check(
            f"metric {name}",
            _is_number(metrics.get(name)),
            _show(metrics.get(name)) if _is_number(metrics.get(name)) else "",
            f"not logged. {how}",
        )
        for name in names
    ]


def _find_run(mlflow, experiment_name: str, run_id: str | None, item: str) -> tuple:
    """The run to check (given, or the newest in the experiment) and the verdicts so far."""
    experiment = _experiment(mlflow, experiment_name)
    verdicts = [
        _check(
            f"experiment '{experiment_name}'",
            experiment is not None,
            f"exists (id {experiment.experiment_id})" if experiment else "",
            "does not exist. Call mlflow.set_experiment(...) before starting the run.",
        )
    ]
    if experiment is None:
        return None, verdicts
    if run_id is None:
        runs = _runs(mlflow, experiment.experiment_id)
        run = runs[0] if runs else None
    else:
        run = mlflow.get_run(run_id)
    verdicts.append(
        _check(
            item,
            run is not None and run.info.status == "FINISHED",
            f"run {run.info.run_id[:8]} finished" if run else "",
            "no finished run found. Run the training cell inside `with mlflow.start_run():`."
            if run is None
            else f"run {run.info.run_id[:8]} has status {run.info.status}; let it finish.",
        )
    )
    return run, verdicts


# --------------------------------------------------------------------------- lessons


def lesson_00(mlflow, run_id: str | None, experiment_name: str = "check-your-setup"):
    """The kernel runs an environment with the course packages, and the tracker round-trips."""
    verdicts = [
        _check(
            "kernel Python",
            # not resolve(): a venv's python is a symlink to the base interpreter
            Path(sys.executable).absolute().is_relative_to(Path(sys.prefix).absolute()),
            f"{sys.executable} belongs to the environment {sys.prefix}",
            f"{sys.executable} is not inside {sys.prefix}: pick the 'Python (exp-tracking)' "
            "kernel (Kernel › Change Kernel…).",
        )
    ]
    for package in ("pandas", "sklearn", "xgboost", "hyperopt"):
        try:
            module = __import__(package)
            verdicts.append(Verdict(f"import {package}", True, module.__version__))
        except ImportError as exc:
            verdicts.append(
                Verdict(
                    f"import {package}", False, f"{exc}. Re-run the setup script, then restart."
                )
            )
    run, found = _find_run(mlflow, experiment_name, run_id, "test run")
    verdicts += found
    if run is not None:
        verdicts.append(
            _check(
                "read back what was logged",
                run.data.params.get("hello") == "world" and _is_number(run.data.metrics.get("one")),
                "param hello=world and metric one came back from the store",
                "the test run lacks param hello or metric one: run the tracker cell again.",
            )
        )
    return verdicts


def lesson_01(mlflow, experiment_name: str, run_id: str | None = None):
    """A Lasso run with the developer tag, data paths, alpha, RMSE, cost metrics and artifacts."""
    run, verdicts = _find_run(mlflow, experiment_name, run_id, "Lasso run")
    if run is None:
        return verdicts
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    verdicts.append(
        _check(
            "tag developer",
            tags.get("developer"),
            f"{tags.get('developer')}",
            'not set. Add mlflow.set_tag("developer", "<your name>") inside the run.',
        )
    )
    for name in ("train-data-path", "valid-data-path", "alpha"):
        verdicts.append(
            _check(
                f"param {name}",
                name in params,
                f"{params.get(name)}",
                f'not logged. Add mlflow.log_param("{name}", ...) inside the run.',
            )
        )
    verdicts += _metric_items(
        metrics,
        ("rmse", "training_time_s", "model_size_bytes"),
        "Log it with mlflow.log_metric(...) inside the run.",
    )
    artifacts = _artifact_paths(mlflow, run.info.run_id)
    verdicts.append(
        _check(
            "preprocessor artifact",
            any(path.startswith("preprocessor/") for path in artifacts),
            ", ".join(sorted(p for p in artifacts if p.startswith("preprocessor/"))),
            'missing. Add mlflow.log_artifact("models/preprocessor.b", '
            'artifact_path="preprocessor").',
        )
    )
    verdicts.append(
        _check(
            "model artifact",
            any(path.startswith("models_pickle/") for path in artifacts),
            ", ".join(sorted(p for p in artifacts if p.startswith("models_pickle/"))),
            'missing. Add mlflow.log_artifact("models/lasso.bin", artifact_path="models_pickle").',
        )
    )
    return verdicts


def lesson_02(mlflow, experiment_name: str, trials: int, since_ms: int):
    """One run per trial since the sweep started, tagged model=xgboost, with params and RMSE."""
    experiment = _experiment(mlflow, experiment_name)
    if experiment is None:
        return [Verdict(f"experiment '{experiment_name}'", False, "does not exist.")]
    runs = [
        run
        for run in _runs(mlflow, experiment.experiment_id, "tags.model = 'xgboost'")
        if run.info.start_time >= since_ms
    ]
    verdicts = [
        _check(
            "one run per trial, tagged model=xgboost",
            len(runs) == trials,
            f"{len(runs)} runs for {trials} trials",
            f"found {len(runs)} runs tagged model=xgboost for {trials} trials. Open a run in the "
            'objective (`with mlflow.start_run():`) and call mlflow.set_tag("model", "xgboost").',
        )
    ]
    if not runs:
        return verdicts
    lacking = {
        "hyperparameters": [r for r in runs if not set(SWEEP_PARAMS) <= set(r.data.params)],
        "metric rmse": [r for r in runs if not _is_number(r.data.metrics.get("rmse"))],
        "metrics training_time_s and model_size_bytes": [
            r
            for r in runs
            if not all(
                _is_number(r.data.metrics.get(k)) for k in ("training_time_s", "model_size_bytes")
            )
        ],
        "objective reg:squarederror": [
            r for r in runs if r.data.params.get("objective") != "reg:squarederror"
        ],
    }
    fixes = {
        "hyperparameters": "Call mlflow.log_params(params) in the objective.",
        "metric rmse": 'Call mlflow.log_metric("rmse", rmse) in the objective.',
        "metrics training_time_s and model_size_bytes": "Time the fit and measure the saved "
        "model, then log both with mlflow.log_metrics(...).",
        "objective reg:squarederror": "Use the current objective name 'reg:squarederror' "
        "('reg:linear' is deprecated).",
    }
    for item, bad in lacking.items():
        verdicts.append(
            _check(
                f"every trial has {item}",
                not bad,
                f"all {len(runs)} runs",
                f"{len(bad)} of {len(runs)} runs lack it. {fixes[item]}",
            )
        )
    return verdicts


def pick_run(runs, tolerance: float):
    """Lesson 03's rule over runs with ``rmse``, ``model_size_bytes``, ``training_time_s``.

    Runs whose RMSE is within ``tolerance`` (a fraction) of the best RMSE are equally good;
    among those, take the smallest model, then the fastest to train.
    """
    scored = [r for r in runs if _is_number(r.data.metrics.get("rmse"))]
    best = min(r.data.metrics["rmse"] for r in scored)
    near_best = [r for r in scored if r.data.metrics["rmse"] <= best * (1 + tolerance)]
    return min(
        near_best,
        key=lambda r: (
            r.data.metrics.get("model_size_bytes", math.inf),
            r.data.metrics.get("training_time_s", math.inf),
        ),
    )


def lesson_03(
    mlflow, experiment_name: str, chosen_run_id: str, final_run_id: str, tolerance: float
):
    """The pick follows the stated rule, and the re-trained run carries the model."""
    experiment = _experiment(mlflow, experiment_name)
    if experiment is None:
        return [Verdict(f"experiment '{experiment_name}'", False, "does not exist. Run 02 first.")]
    candidates = _runs(mlflow, experiment.experiment_id, "tags.model = 'xgboost'")
    expected = pick_run(candidates, tolerance) if candidates else None
    verdicts = [
        _check(
            "pick follows the rule",
            expected is not None and expected.info.run_id == chosen_run_id,
            f"run {chosen_run_id[:8]}: within {tolerance:.0%} of the best RMSE, smallest model",
            f"the rule picks run {expected.info.run_id[:8] if expected else '(none)'}, "
            f"you chose {str(chosen_run_id)[:8]}. Re-run the selection cells in order.",
        )
    ]
    final = mlflow.get_run(final_run_id)
    chosen = mlflow.get_run(chosen_run_id)
    verdicts.append(
        _check(
            f"re-trained run is in '{experiment_name}'",
            final.info.experiment_id == experiment.experiment_id,
            f"experiment id {experiment.experiment_id}",
            f"it is in experiment id {final.info.experiment_id}. Call "
            f'mlflow.set_experiment("{experiment_name}") before starting the run.',
        )
    )
    verdicts.append(
        _check(
            "re-trained run records where it came from",
            final.data.tags.get("selected_from") == chosen_run_id,
            f"tag selected_from = {chosen_run_id[:8]}",
            'missing. Add mlflow.set_tag("selected_from", chosen_run_id).',
        )
    )
    same = {k: chosen.data.params.get(k) for k in SWEEP_PARAMS}
    verdicts.append(
        _check(
            "re-trained with the chosen hyperparameters",
            all(final.data.params.get(k) == v for k, v in same.items()),
            ", ".join(f"{k}={v}" for k, v in same.items()),
            "the params of the re-trained run differ from the chosen run's. Pass the chosen "
            "params to xgb.train and log them.",
        )
    )
    verdicts += _metric_items(
        final.data.metrics,
        ("rmse", "training_time_s", "model_size_bytes"),
        "Log it in the re-training run.",
    )
    verdicts.append(_model_folder_verdict(mlflow, final_run_id))
    return verdicts


def _model_folder_verdict(mlflow, run_id: str) -> Verdict:
    uri = f"runs:/{run_id}/model"
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
        present = {path.name for path in local.iterdir()}
    except Exception as exc:  # noqa: BLE001 (any failure means: no usable model there)
        return Verdict("model logged at runs:/<run_id>/model", False, f"{uri}: {exc}")
    missing = [name for name in MODEL_FOLDER_FILES if name not in present]
    return _check(
        "model logged at runs:/<run_id>/model",
        not missing,
        "holds " + ", ".join(sorted(present)),
        f"the model folder lacks {', '.join(missing)}. Log it with mlflow.xgboost.log_model.",
    )


def lesson_04(mlflow, experiment_name: str, run_id: str | None, predictions=None):
    """The autologged run has params, per-round metrics and a model that loads and predicts."""
    run, verdicts = _find_run(mlflow, experiment_name, run_id, "autologged run")
    if run is None:
        return verdicts
    params = run.data.params
    verdicts.append(
        _check(
            "params logged by the autologger",
            set(SWEEP_PARAMS) <= set(params),
            f"{len(params)} params, e.g. max_depth={params.get('max_depth')}",
            "the hyperparameters are missing. Call mlflow.xgboost.autolog() before xgb.train.",
        )
    )
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "validation-rmse")
    verdicts.append(
        _check(
            "per-round metric validation-rmse",
            len(history) > 1,
            f"{len(history)} steps, last {history[-1].value:.3f}" if history else "",
            "no history. Pass evals=[(valid, 'validation')] to xgb.train with autolog on.",
        )
    )
    verdicts += _metric_items(
        run.data.metrics,
        ("training_time_s", "model_size_bytes"),
        "Time the fit and measure the model folder, then log them.",
    )
    verdicts.append(_model_folder_verdict(mlflow, run.info.run_id))
    verdicts.append(
        _check(
            "the loaded model predicts",
            predictions is not None and len(predictions) > 0,
            f"{len(predictions) if predictions is not None else 0} predictions",
            "no predictions. Load it with mlflow.pyfunc.load_model(f'runs:/{run_id}/model') "
            "and call .predict(X_val).",
        )
    )
    return verdicts
