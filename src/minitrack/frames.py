"""search_runs' pandas DataFrame, with MLflow's columns, order and dtypes.

Columns: ``run_id, experiment_id, status, artifact_uri, start_time, end_time``
(datetime64 UTC), then ``metrics.<key>`` (float64, latest value, NaN when a run
lacks it), ``params.<key>`` and ``tags.<key>`` (str, None when missing), each
group sorted by key. Built column by column from a few set-based queries, so
10,000 runs take milliseconds. pandas is imported here, never at ``import minitrack``.
"""

from __future__ import annotations

_BASE = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def runs_frame(store, run_ids: list[str]):
    import numpy as np
    import pandas as pd

    if not run_ids:
        return pd.DataFrame({name: [] for name in _BASE})
    data = store.load_run_columns(run_ids)
    rows = data["base"]
    ids = [r[0] for r in rows]
    columns: dict[str, object] = {
        "run_id": ids,
        "experiment_id": [str(r[1]) for r in rows],
        "status": [r[2] for r in rows],
        "artifact_uri": [r[3] for r in rows],
    }
    start = np.array([np.nan if r[4] is None else r[4] for r in rows], dtype="float64")
    end = np.array([np.nan if r[5] is None else r[5] for r in rows], dtype="float64")
    columns["start_time"] = _to_datetime(start)
    columns["end_time"] = _to_datetime(end)
    for key in sorted(data["metrics"]):
        values = data["metrics"][key]
        columns[f"metrics.{key}"] = np.array(
            [values.get(i) for i in ids], dtype="float64"
        )  # None -> NaN
    for kind in ("params", "tags"):
        for key in sorted(data[kind]):
            values = data[kind][key]
            columns[f"{kind}.{key}"] = [values.get(i) for i in ids]
    return pd.DataFrame(columns)


_DATETIME_DTYPE = None


def _to_datetime(ms):
    """Epoch milliseconds (NaN for missing) -> the datetime column MLflow produces."""
    global _DATETIME_DTYPE
    import pandas as pd

    if _DATETIME_DTYPE is None:
        # MLflow appends pd.to_datetime(ms, unit="ms", utc=True) per run; match its unit.
        _DATETIME_DTYPE = pd.Series([pd.to_datetime(0, unit="ms", utc=True)]).dtype
    return pd.to_datetime(ms, unit="ms", utc=True).astype(_DATETIME_DTYPE)
