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


# The runs whose models lesson 05 registers (lessons 03 and 04).
REGISTRY_SOURCES = ("xgboost-selected", "xgboost-autolog")


def _alias_version(client, name: str, alias: str):
    """The version ``alias`` points at, or None when the alias is not set."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except Exception:  # noqa: BLE001 (MLflow and minitrack both raise their own type)
        return None


def _rmse_by_alias(mlflow, name: str, alias: str, X, y) -> float | None:
    try:
        model = mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
        predictions = model.predict(X)
    except Exception:  # noqa: BLE001 (any failure means: it does not load or predict)
        return None
    errors = [(float(p) - float(t)) ** 2 for p, t in zip(predictions, y, strict=True)]
    return math.sqrt(sum(errors) / len(errors)) if errors else None


def lesson_05(mlflow, model_name: str, X_test, y_test, test_month: str):
    """From the registry: the model, its versions from lessons 03 and 04, the two aliases on
    different versions, the better model on the test month as champion, tags and
    descriptions."""
    client = mlflow.MlflowClient()
    try:
        model = client.get_registered_model(model_name)
    except Exception:  # noqa: BLE001 (not registered: MLflow and minitrack raise their own type)
        model = None
    verdicts = [
        _check(
            f"registered model '{model_name}'",
            model is not None,
            "exists",
            f'does not exist. Call mlflow.register_model(f"runs:/{{run_id}}/model", '
            f'"{model_name}").',
        )
    ]
    if model is None:
        return verdicts
    found = {
        alias: _alias_version(client, model_name, alias) for alias in ("champion", "challenger")
    }
    for alias, version in found.items():
        verdicts.append(
            _check(
                f"alias @{alias}",
                version is not None,
                f"version {version.version}" if version else "",
                f'not set. Call client.set_registered_model_alias("{model_name}", "{alias}", '
                "version).",
            )
        )
    champion, challenger = found["champion"], found["challenger"]
    if champion is None or challenger is None:
        return verdicts
    verdicts.append(
        _check(
            "champion and challenger are different versions",
            str(champion.version) != str(challenger.version),
            f"v{champion.version} and v{challenger.version}",
            f"both point at version {champion.version}. Register both candidates and give "
            "each its own alias.",
        )
    )
    sources = {}
    for alias, version in found.items():
        run = mlflow.get_run(version.run_id) if version.run_id else None
        sources[alias] = run.data.tags.get("model") if run else None
    verdicts.append(
        _check(
            "versions come from the runs of lessons 03 and 04",
            all(tag in REGISTRY_SOURCES for tag in sources.values()),
            ", ".join(f"@{a} from a run tagged {t}" for a, t in sources.items()),
            f"their runs are tagged {sources}; register runs:/<run_id>/model of the runs "
            f"tagged {' and '.join(REGISTRY_SOURCES)}.",
        )
    )
    scores = {a: _rmse_by_alias(mlflow, model_name, a, X_test, y_test) for a in found}
    loads = scores["champion"] is not None and scores["challenger"] is not None
    verdicts.append(
        _check(
            f"models:/{model_name}@champion loads and predicts",
            loads,
            f"RMSE on {test_month}: @champion {scores['champion']:.3f}, "
            f"@challenger {scores['challenger']:.3f}"
            if loads
            else "",
            f"loading models:/{model_name}@champion or @challenger failed. Check the aliases "
            "point at versions whose models were logged with log_model.",
        )
    )
    if loads:
        verdicts.append(
            _check(
                f"the better model on {test_month} is the champion",
                scores["champion"] <= scores["challenger"],
                f"@champion v{champion.version}",
                f"@challenger (v{challenger.version}) does better: promote it by moving the "
                f'alias, client.set_registered_model_alias("{model_name}", "champion", '
                f"{challenger.version}).",
            )
        )
    verdicts.append(
        _check(
            "the model has a description and a tag",
            bool(model.description) and bool(model.tags),
            f"tags {dict(model.tags)}",
            f'add them: client.update_registered_model("{model_name}", description=...) and '
            "client.set_registered_model_tag(...).",
        )
    )
    wanted = ("validation_rmse", "test_rmse")
    lacking = [k for k in wanted if k not in champion.tags] or ["a description"]
    verdicts.append(
        _check(
            "the champion version has its RMSE tags and a description",
            all(k in champion.tags for k in wanted) and bool(champion.description),
            ", ".join(f"{k}={champion.tags.get(k)}" for k in wanted),
            f"version {champion.version} lacks {', '.join(lacking)}. "
            "Set them with client.set_model_version_tag and client.update_model_version.",
        )
    )
    return verdicts


def _runs_since(client, experiment, since_ms: int, tag: str) -> list:
    if experiment is None:
        return []
    found = client.search_runs([experiment.experiment_id], filter_string=f"tags.model = '{tag}'")
    return [run for run in found if run.info.start_time >= since_ms]


def lesson_06(
    mlflow,
    local_uri: str,
    server_uri: str,
    experiment_name: str,
    model_name: str,
    trials: int,
    since_ms: int,
    tag: str = "ridge",
):
    """Scenario 1's run in the local file; scenario 2's sweep and registered model in the
    server's store (read through the server), and none of the sweep in the local file."""
    local = mlflow.MlflowClient(tracking_uri=local_uri)
    remote = mlflow.MlflowClient(tracking_uri=server_uri)
    local_runs = _runs_since(local, local.get_experiment_by_name(experiment_name), 0, tag)
    verdicts = [
        _check(
            "scenario 1: a run in the local file",
            any(run.info.status == "FINISHED" for run in local_runs),
            f"{len(local_runs)} run(s) in {local_uri}",
            f"no finished run tagged model={tag} in {local_uri}. Run the scenario 1 cell.",
        )
    ]
    sweep = _runs_since(remote, remote.get_experiment_by_name(experiment_name), since_ms, tag)
    finished = [r for r in sweep if r.info.status == "FINISHED"]
    verdicts.append(
        _check(
            "scenario 2: the sweep is on the server",
            len(finished) == trials,
            f"{len(finished)} runs for {trials} trials at {server_uri}",
            f"found {len(finished)} finished runs tagged model={tag} on {server_uri} for "
            f"{trials} trials. Call mlflow.set_tracking_uri(server.url) before the sweep.",
        )
    )
    strays = _runs_since(local, local.get_experiment_by_name(experiment_name), since_ms, tag)
    verdicts.append(
        _check(
            "the sweep did not go to the local file",
            not strays,
            "the local file holds scenario 1 only",
            f"{len(strays)} sweep runs went to {local_uri}: the tracking URI still pointed at "
            "the file. Set it to the server's URL first.",
        )
    )
    complete = [
        r for r in finished if "alpha" in r.data.params and _is_number(r.data.metrics.get("rmse"))
    ]
    if len(complete) != len(finished) or not finished:
        verdicts.append(
            Verdict(
                "every trial has alpha and rmse",
                False,
                f"{len(finished) - len(complete)} runs lack them. Call mlflow.log_param and "
                "mlflow.log_metric in each run.",
            )
        )
        return verdicts
    best = min(complete, key=lambda r: r.data.metrics["rmse"])
    versions = [
        v
        for v in remote.search_model_versions(f"name = '{model_name}'")
        if v.run_id in {r.info.run_id for r in finished}
    ]
    newest = max(versions, key=lambda v: int(v.version), default=None)
    verdicts.append(
        _check(
            f"the best trial is registered as '{model_name}'",
            newest is not None and newest.run_id == best.info.run_id,
            f"version {newest.version} from run {best.info.run_id[:8]}" if newest else "",
            f"register the sweep's best run on the server: mlflow.register_model("
            f'f"runs:/{{run_id}}/model", "{model_name}") with the tracking URI on the server.'
            if newest is None
            else f"version {newest.version} is run {newest.run_id[:8]}, but the best RMSE is "
            f"run {best.info.run_id[:8]}. Order the search by metrics.rmse ASC.",
        )
    )
    if newest is not None:
        before = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(server_uri)  # models:/ resolves against the tracking URI
        try:
            model = mlflow.pyfunc.load_model(f"models:/{model_name}/{newest.version}")
            loads = model.metadata is not None
        except Exception:  # noqa: BLE001 (any failure means: it does not load through the server)
            loads = False
        finally:
            mlflow.set_tracking_uri(before)
        verdicts.append(
            _check(
                f"models:/{model_name}/{newest.version} loads through the server",
                loads,
                "its files came back from the server's artifact store",
                "the version's files could not be fetched: log the model in the run with "
                'mlflow.sklearn.log_model(model, name="model").',
            )
        )
    return verdicts
