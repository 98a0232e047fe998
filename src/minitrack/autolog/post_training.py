"""Post-training metrics: metric calls on an autologged model's predictions, logged to its run.

After an autologged `fit`, the model remembers the run it was fitted in. Its predictions
(`predict`, `predict_proba`, `predict_log_proba`, `transform`) remember that run and the
caller's variable name for the input data. A `sklearn.metrics` function later called on
such a prediction logs its value to that run, even after the run ended; so does
`model.score(X, y)`. Predictions from any other model log nothing.

The names are MLflow's (`_AutologgingMetricsManager` in mlflow/sklearn/__init__.py):

- key `{metric}[-{n}]_{dataset}`: `mean_squared_error_X_test`, `LinearRegression_score_X_test`;
- `{dataset}` is the caller's variable name for the data given to predict/score (looked up
  past every frame that received it as an argument; `unknown_dataset` for an unnamed
  expression such as `X_test[:10]`); another object under a name already used in the run
  becomes `X_test-2`, `X_test-3`, ...;
- the n-th call (n >= 2) of the same metric in a run becomes `{metric}-{n}`, whatever the
  dataset: `mean_squared_error-2_X_test`;
- `metric_info.json` in the run maps each key to the call that made it, such as
  `mean_squared_error(y_true=y_test, y_pred=y_pred)`;
- only numbers are logged (not booleans, not arrays such as a confusion matrix), and metric
  calls made inside `score`, another metric, or an autologged fit are not logged.

Like MLflow it replaces the functions in the `sklearn.metrics` module: a function imported
with `from sklearn.metrics import mean_squared_error` before `autolog()` stays unpatched.
Scorers from `sklearn.metrics.get_scorer` log nothing, as in MLflow: MLflow patches the
scorer copies `get_scorer` hands out while enabling, but scikit-learn returns a fresh deep
copy on every call, so the scorers users get are never patched.

Memory: the big objects (models, predictions, datasets) are never kept alive. They are
remembered by identity with a weak reference that drops the entry when the object is
collected (objects that refuse weak references, such as lists, are not tracked). What
stays per run is only its names so far, so numbering continues as long as the session.
(On Python < 3.13, reading a function's variables to name a dataset makes CPython keep a
snapshot of them until that function returns; a notebook's top level has no snapshot.)
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import sys
import threading
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

from minitrack.autolog import patching

# Its own patch group: log_post_training_metrics=False or disable=True removes every
# patch below and leaves sklearn.metrics exactly as it was.
FLAVOR = "sklearn.post_training"
PREDICTION_METHODS = ("predict", "predict_proba", "predict_log_proba", "transform")
NOT_METRICS = frozenset({"check_scoring", "get_scorer", "make_scorer", "get_scorer_names"})
UNKNOWN_DATASET = "unknown_dataset"
METRIC_INFO_FILE = "metric_info.json"

_logger = logging.getLogger("minitrack.autolog")


class _ByIdentity:
    """Values attached to live objects by identity; an entry goes when its object is collected.

    Keyed by `id()` so the object itself is never kept alive (a prediction can be a large
    array). The finalizer removes the entry before the id can be reused by a new object.
    """

    def __init__(self) -> None:
        self._values: dict[int, Any] = {}

    def set(self, obj: Any, value: Any) -> bool:
        key = id(obj)
        if key not in self._values:
            try:
                finalizer = weakref.finalize(obj, self._values.pop, key, None)
            except TypeError:  # no weak references (a list, a float): not tracked
                return False
            finalizer.atexit = False
        self._values[key] = value
        return True

    def get(self, obj: Any) -> Any:
        return self._values.get(id(obj))

    def __len__(self) -> int:
        return len(self._values)


class _RunNames:
    """The dataset names and metric keys one run's post-training metrics used so far."""

    def __init__(self) -> None:
        # variable name -> the datasets seen under it, in order (weak references, or ids
        # for objects without weak references)
        self.datasets: dict[str, list[Any]] = {}
        # metric name -> [(metric key, call text)] in call order
        self.calls: dict[str, list[tuple[str, str]]] = {}

    def dataset_name(self, name: str, dataset: Any) -> str:
        seen = self.datasets.setdefault(name, [])
        for index, slot in enumerate(seen):
            if _refers_to(slot, dataset):
                return _numbered(name, index)
        seen.append(_slot(dataset))
        return _numbered(name, len(seen) - 1)

    def metric_key(self, metric: str, dataset_name: str, call: str) -> str:
        calls = self.calls.setdefault(metric, [])
        key = f"{_numbered(metric, len(calls))}_{dataset_name}"
        calls.append((key, call))
        return key

    def metric_info(self) -> dict[str, str]:
        every_call = [item for calls in self.calls.values() for item in calls]
        return dict(sorted(every_call, key=lambda item: item[0]))


def _slot(dataset: Any) -> Any:
    try:
        return weakref.ref(dataset)
    except TypeError:
        return id(dataset)


def _refers_to(slot: Any, dataset: Any) -> bool:
    if isinstance(slot, weakref.ref):
        return slot() is dataset
    return slot == id(dataset)


def _numbered(name: str, index: int) -> str:
    # '-' cannot appear in a Python variable name, so numbered names never collide.
    return name if index == 0 else f"{name}-{index + 1}"


_models = _ByIdentity()  # fitted estimator -> run id
_predictions = _ByIdentity()  # prediction -> (run id, dataset name)
_runs: dict[str, _RunNames] = {}
_runs_lock = threading.Lock()
_local = threading.local()


# --- switching on and off ------------------------------------------------------------


def enable(settings: dict[str, Any]) -> None:
    """Turn post-training metrics on; `patch_module` then patches each scikit-learn module."""
    patching.set_config(FLAVOR, settings)


def disable() -> None:
    """Remove every post-training patch. Models fitted earlier stay remembered (as in MLflow)
    and log again once it is re-enabled."""
    patching.set_config(FLAVOR, None)
    patching.unpatch_all(FLAVOR)


def remember_model(model: Any, run_id: str) -> None:
    """Called after an autologged fit: metrics on this model's predictions go to `run_id`."""
    if patching.config(FLAVOR) is not None:
        _models.set(model, run_id)


def patch_module(module: Any) -> None:
    """Patch the prediction and score methods the module's estimators define, and the
    metric functions when the module is `sklearn.metrics`."""
    if patching.config(FLAVOR) is None:
        return
    from sklearn.base import BaseEstimator

    if module.__name__ == "sklearn.metrics":
        _patch_metrics(module)
    methods = [(name, _on_prediction) for name in PREDICTION_METHODS] + [("score", _on_score)]
    for value in list(vars(module).values()):
        if not (isinstance(value, type) and issubclass(value, BaseEstimator)):
            continue
        for cls in value.__mro__:
            if not cls.__module__.startswith("sklearn."):
                continue
            for name, handler in methods:
                entry = cls.__dict__.get(name)
                if inspect.isfunction(entry):
                    patching.patch(FLAVOR, cls, name, handler)
                elif hasattr(entry, "fn") and hasattr(entry, "check"):
                    # `available_if` (Pipeline.predict, a search's score, ...): patch the
                    # function inside so `hasattr(model, "predict")` keeps its meaning.
                    patching.patch(FLAVOR, entry, "fn", handler)


def _patch_metrics(metrics: Any) -> None:
    for name in getattr(metrics, "__all__", []):
        function = getattr(metrics, name, None)
        if (
            name in NOT_METRICS
            or name.startswith("plot_")
            or isinstance(function, type)
            or not callable(function)
        ):
            continue
        patching.patch(FLAVOR, metrics, name, _on_metric)


# --- the patched calls -----------------------------------------------------------------


def _is_busy() -> bool:
    return getattr(_local, "busy", False)


@contextlib.contextmanager
def _inner_calls_pass_through() -> Iterator[None]:
    """Inside a predict, score or metric call, the calls it makes itself log nothing
    (`score` calls r2_score, a metric may call another)."""
    before = _is_busy()
    _local.busy = True
    try:
        yield
    finally:
        _local.busy = before


def _on_prediction(original: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
    run_id = _models.get(model)
    if run_id is None or _is_busy():
        return original(model, *args, **kwargs)
    with _inner_calls_pass_through():
        result = original(model, *args, **kwargs)
    frame = sys._getframe()  # holds the data as an argument; the name lookup starts here
    try:
        dataset = _first_argument(original, args, kwargs)
        name = _dataset_name(run_id, dataset, frame)
        _predictions.set(result, (run_id, name))
    except Exception as error:  # noqa: BLE001 - never break the user's predict
        _warn(f"could not remember which dataset a prediction came from: {error}")
    finally:
        del frame
    return result


def _on_score(original: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
    run_id = _models.get(model)
    if run_id is None or _is_busy():
        return original(model, *args, **kwargs)
    with _inner_calls_pass_through():
        value = original(model, *args, **kwargs)
    if not _is_loggable(value):
        return value
    frame = sys._getframe()
    try:
        name = f"{type(model).__name__}.{original.__name__}"
        call = _call_text(name, original, args, kwargs, frame, skip=1)
        dataset = _first_argument(original, args, kwargs)
        dataset_name = _dataset_name(run_id, dataset, frame)
        _log(run_id, f"{type(model).__name__}_score", dataset_name, value, call)
    except Exception as error:  # noqa: BLE001 - never break the user's score
        _warn(f"could not log {type(model).__name__}.score as a post-training metric: {error}")
    finally:
        del frame
    return value


def _on_metric(original: Any, *args: Any, **kwargs: Any) -> Any:
    if _is_busy():
        return original(*args, **kwargs)
    with _inner_calls_pass_through():
        value = original(*args, **kwargs)
    if not _is_loggable(value):
        return value
    frame = sys._getframe()
    try:
        source = _prediction_among([*args, *kwargs.values()])
        if source is not None:
            run_id, dataset_name = source
            call = _call_text(original.__name__, original, args, kwargs, frame)
            _log(run_id, original.__name__, dataset_name, value, call)
    except Exception as error:  # noqa: BLE001 - never break the user's metric call
        _warn(f"could not log {original.__name__} as a post-training metric: {error}")
    finally:
        del frame
    return value


# --- naming and logging ----------------------------------------------------------------


def _is_loggable(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _prediction_among(arguments: list[Any]) -> tuple[str, str] | None:
    """(run id, dataset name) of the first argument that is a remembered prediction."""
    for argument in arguments:
        found = _predictions.get(argument)
        if found is not None:
            return found
    return None


def _first_argument(method: Any, args: tuple, kwargs: dict) -> Any:
    """The data given to `predict(X)` / `score(X, y)`, passed by position or by name."""
    if args:
        return args[0]
    parameters = list(inspect.signature(method).parameters)
    return kwargs.get(parameters[1]) if len(parameters) > 1 else None


def _run_names(run_id: str) -> _RunNames:
    names = _runs.get(run_id)
    if names is None:
        names = _runs.setdefault(run_id, _RunNames())
    return names


def _dataset_name(run_id: str, dataset: Any, frame: Any) -> str:
    name = _variable_name(dataset, frame, UNKNOWN_DATASET)
    with _runs_lock:
        return _run_names(run_id).dataset_name(name, dataset)


def _variable_name(value: Any, frame: Any, fallback: str) -> str:
    """The caller's name for `value`: skip the frames that received it as an argument, then
    look for it among the variables of the first frame that did not (MLflow's rule)."""
    if value is None:
        return fallback
    try:
        while frame is not None:
            arguments = inspect.getargvalues(frame)
            received = [arguments.locals[name] for name in arguments.args]
            if arguments.varargs:
                received.extend(arguments.locals[arguments.varargs])
            if arguments.keywords:
                received.extend(arguments.locals[arguments.keywords].values())
            if any(item is value for item in received):
                frame = frame.f_back
                continue
            for name, item in frame.f_locals.items():
                if item is value:
                    return name
            return fallback
        return fallback
    except Exception:  # noqa: BLE001 - a name is a nicety; the fallback always works
        return fallback
    finally:
        del frame


def _call_text(
    function_name: str, function: Any, args: tuple, kwargs: dict, frame: Any, skip: int = 0
) -> str:
    """The call as `name(param=variable, ...)` for metric_info.json (`skip`: leave out
    `self`). Data show as the caller's variable name, scalars as their repr."""
    import numpy as np

    def describe(value: Any) -> str:
        if value is None or np.isscalar(value):
            if isinstance(value, str) and len(value) > 32:
                return repr(value[:32] + "...")
            return repr(value)
        return _variable_name(value, frame, f"<{type(value).__name__}>")

    parameters = list(inspect.signature(function).parameters)[skip:]
    # strict=False: extra values of a *args parameter get no name and are left out.
    named = zip(parameters, args, strict=False)
    parts = [f"{name}={describe(value)}" for name, value in named]
    parts += [f"{name}={describe(value)}" for name, value in kwargs.items()]
    return f"{function_name}({', '.join(parts)})"


def _log(run_id: str, metric: str, dataset_name: str, value: Any, call: str) -> None:
    """Log one post-training metric and rewrite the run's metric_info.json."""
    from minitrack.client import MlflowClient

    with _runs_lock:
        names = _run_names(run_id)
        key = names.metric_key(metric, dataset_name, call)
        info = names.metric_info()
    client = MlflowClient()
    client.log_metric(run_id, key, float(value))
    client.log_dict(run_id, info, METRIC_INFO_FILE)


def _warn(message: str) -> None:
    _logger.debug("post-training metric failure", exc_info=True)
    if not (patching.config(FLAVOR) or {}).get("silent"):
        warnings.warn(f"minitrack sklearn autolog: {message}", stacklevel=4)
