"""search_runs' pandas DataFrame, with MLflow's columns, order and dtypes.

Columns: ``run_id, experiment_id, status, artifact_uri, start_time, end_time``
(datetime64 UTC), then ``metrics.<key>`` (float64, latest value, NaN when a run
lacks it), ``params.<key>`` and ``tags.<key>`` (str, None when missing), each
group sorted by key. Built column by column from the store's ``RunColumns`` (one
pair of position and value lists per key), so 10,000 runs take milliseconds.
pandas and numpy are imported here, never at ``import minitrack``.
"""

from __future__ import annotations

_BASE = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")
_datetime_dtype = None


def _scatter(n: int, positions: list[int], values: list, fill, dtype):
    """A length-n column: ``values[k]`` at ``positions[k]``, ``fill`` elsewhere."""
    import numpy as np

    column = np.full(n, fill, dtype=dtype)
    if positions:
        column[np.array(positions, dtype=np.intp)] = np.array(values, dtype=dtype)
    return column


def _datetimes(n: int, positions: list[int], values: list):
    """Epoch milliseconds -> the datetime column MLflow produces (NaT when missing)."""
    global _datetime_dtype
    import numpy as np
    import pandas as pd

    if _datetime_dtype is None:
        # MLflow appends pd.to_datetime(ms, unit="ms", utc=True) per run; match its unit.
        _datetime_dtype = pd.Series([pd.to_datetime(0, unit="ms", utc=True)]).dtype
    ms = np.array([np.nan if v is None else v for v in values], dtype="float64")
    column = np.full(n, np.nan)
    if positions:
        column[np.array(positions, dtype=np.intp)] = ms
    return pd.to_datetime(column, unit="ms", utc=True).astype(_datetime_dtype)


def runs_frame(columns):
    """The DataFrame of a ``minitrack.store.base.RunColumns``."""
    import numpy as np
    import pandas as pd

    run_ids = columns.run_ids
    if not run_ids:
        return pd.DataFrame({name: [] for name in _BASE})
    n = len(run_ids)
    base = columns.base
    frame: dict[str, object] = {"run_id": run_ids}
    for name in ("experiment_id", "status", "artifact_uri"):
        frame[name] = _scatter(n, *base[name], None, object)
    frame["start_time"] = _datetimes(n, *base["start_time"])
    frame["end_time"] = _datetimes(n, *base["end_time"])
    for key in sorted(columns.metrics):
        frame[f"metrics.{key}"] = _scatter(n, *columns.metrics[key], np.nan, np.float64)
    for kind in ("params", "tags"):
        found = getattr(columns, kind)
        for key in sorted(found):
            frame[f"{kind}.{key}"] = _scatter(n, *found[key], None, object)
    return pd.DataFrame(frame)
