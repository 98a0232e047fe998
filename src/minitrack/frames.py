"""search_runs' pandas DataFrame, with MLflow's columns, order and dtypes.

Columns: ``run_id, experiment_id, status, artifact_uri, start_time, end_time``
(datetime64 UTC), then ``metrics.<key>`` (float64, latest value, NaN when a run
lacks it), ``params.<key>`` and ``tags.<key>`` (str, None when missing), each
group sorted by key. Built column by column from per-key arrays the store
aggregates in SQLite, so 10,000 runs take milliseconds. pandas and numpy are
imported here, never at ``import minitrack``.
"""

from __future__ import annotations

import json

_BASE = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
_datetime_dtype = None


def _scatter(n: int, positions: str, values: str, fill, dtype):
    """A length-n column: ``values[k]`` at ``positions[k]``, ``fill`` elsewhere."""
    import numpy as np

    column = np.full(n, fill, dtype=dtype)
    pos = np.array(json.loads(positions), dtype=np.intp)
    if len(pos):
        column[pos] = np.array(json.loads(values), dtype=dtype)
    return column


def _datetimes(n: int, positions: str, values: str):
    """Epoch milliseconds -> the datetime column MLflow produces (NaT when missing)."""
    global _datetime_dtype
    import numpy as np
    import pandas as pd

    if _datetime_dtype is None:
        # MLflow appends pd.to_datetime(ms, unit="ms", utc=True) per run; match its unit.
        _datetime_dtype = pd.Series([pd.to_datetime(0, unit="ms", utc=True)]).dtype
    raw = json.loads(values)
    ms = np.array([np.nan if v is None else v for v in raw], dtype="float64")
    column = np.full(n, np.nan)
    pos = np.array(json.loads(positions), dtype=np.intp)
    if len(pos):
        column[pos] = ms
    return pd.to_datetime(column, unit="ms", utc=True).astype(_datetime_dtype)


def runs_frame(store, run_ids: list[str]):
    import numpy as np
    import pandas as pd

    if not run_ids:
        return pd.DataFrame({name: [] for name in _BASE})
    n = len(run_ids)
    data = store.load_run_columns(run_ids)
    base = data["base"]
    columns: dict[str, object] = {"run_id": run_ids}
    exp = _scatter(n, *base["experiment_id"], None, object)
    columns["experiment_id"] = [None if e is None else str(e) for e in exp]
    columns["status"] = _scatter(n, *base["status"], None, object)
    columns["artifact_uri"] = _scatter(n, *base["artifact_uri"], None, object)
    columns["start_time"] = _datetimes(n, *base["start_time"])
    columns["end_time"] = _datetimes(n, *base["end_time"])
    for key in sorted(data["metrics"]):
        columns[f"metrics.{key}"] = _scatter(n, *data["metrics"][key], np.nan, np.float64)
    for kind in ("params", "tags"):
        for key in sorted(data[kind]):
            columns[f"{kind}.{key}"] = _scatter(n, *data[kind][key], None, object)
    return pd.DataFrame(columns)
