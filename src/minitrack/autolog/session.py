"""The run an autologged call logs into, and the batched logging it does.

Inside an active run (the user's, or a hyperopt objective's nested run) the call logs
into that run. Otherwise it starts a run tagged `mlflow.autologging=<flavour>` and ends
it when the call returns (FAILED when the training raised).

Logging never breaks training: a logging error becomes a warning (none when `silent`),
and the trained model is returned as usual.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Iterator
from typing import Any

from minitrack import fluent
from minitrack.autolog.patching import autologged_call
from minitrack.client import MlflowClient

AUTOLOGGING_TAG = "mlflow.autologging"
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100

_logger = logging.getLogger("minitrack.autolog")


class AutologRun:
    """Logs into one run through the client in few writes (params, tags, metrics batches)."""

    def __init__(self, run_id: str, flavor: str, settings: dict[str, Any]) -> None:
        self.run_id = run_id
        self.flavor = flavor
        self.settings = settings
        self.client = MlflowClient()

    def log_params(self, params: dict[str, Any]) -> None:
        """Log params, skipping any the run already holds (a user's log_params, a re-fit)."""
        from minitrack.entities import Param

        existing = self.client.get_run(self.run_id).data.params
        fresh = {}
        for key, value in params.items():
            text = str(value)[:6000]
            if key not in existing:
                fresh[key] = text
            elif existing[key] != text:
                self.warn(
                    f"param '{key}' is already logged as '{existing[key]}' in run "
                    f"{self.run_id}; the autologged value '{text}' was not logged"
                )
        items = [Param(key, value) for key, value in fresh.items()]
        for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start : start + MAX_PARAMS_PER_BATCH])

    def set_tags(self, tags: dict[str, Any]) -> None:
        from minitrack.entities import RunTag

        items = [RunTag(key, str(value)) for key, value in tags.items()]
        for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=items[start : start + MAX_PARAMS_PER_BATCH])

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        self.log_metric_rows([(key, value, step) for key, value in metrics.items()])

    def log_metric_rows(self, rows: list[tuple[str, float, int]]) -> None:
        """Log (key, value, step) rows in batches: one write per thousand values."""
        from minitrack.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(key, float(value), now, int(step)) for key, value, step in rows]
        for start in range(0, len(items), MAX_METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=items[start : start + MAX_METRICS_PER_BATCH])

    def warn(self, message: str) -> None:
        if not self.settings.get("silent"):
            warnings.warn(f"minitrack {self.flavor} autolog: {message}", stacklevel=3)

    @contextlib.contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Turn a logging failure into a warning so the user's training still returns."""
        try:
            yield
        except Exception as error:  # noqa: BLE001 - logging must never break training
            self.warn(f"could not log {what}: {error}")
            _logger.debug("autolog logging failure", exc_info=True)


@contextlib.contextmanager
def autolog_run(flavor: str, settings: dict[str, Any]) -> Iterator[AutologRun | None]:
    """The run to log into; None means "just train" (`exclusive` with a user's run
    active, or no run could be started)."""
    extra_tags = dict(settings.get("extra_tags") or {})
    active = fluent.active_run()
    with autologged_call():
        if active is not None:
            if settings.get("exclusive"):
                yield None
                return
            # extra_tags are for the runs autolog creates (MLflow's rule), not the user's.
            yield AutologRun(active.info.run_id, flavor, settings)
            return
        try:
            started = fluent.start_run(tags={AUTOLOGGING_TAG: flavor, **extra_tags})
        except Exception as error:  # noqa: BLE001 - a broken store must not stop training
            if not settings.get("silent"):
                warnings.warn(
                    f"minitrack {flavor} autolog: could not start a run ({error}); "
                    "training without logging",
                    stacklevel=4,
                )
            yield None
            return
        try:
            yield AutologRun(started.info.run_id, flavor, settings)
        except BaseException:
            fluent.end_run("FAILED")
            raise
        fluent.end_run()
