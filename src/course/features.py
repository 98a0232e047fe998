"""Feature preparation shared by every lesson, as in the course's ``read_dataframe``.

- ``duration``: drop-off minus pickup, in minutes, kept where 1 <= duration <= 60;
- ``PULocationID`` and ``DOLocationID`` as strings, and ``PU_DO``, the two joined by ``_``;
- ``DictVectorizer`` over ``PU_DO`` (one column per zone pair) and ``trip_distance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CATEGORICAL = ["PU_DO"]
NUMERICAL = ["trip_distance"]
TARGET = "duration"
MIN_MINUTES, MAX_MINUTES = 1, 60


def add_duration(frame):
    """A copy of ``frame`` with ``duration`` in minutes, only the trips of 1 to 60 minutes."""
    frame = frame.copy()
    elapsed = frame["lpep_dropoff_datetime"] - frame["lpep_pickup_datetime"]
    frame[TARGET] = elapsed.dt.total_seconds() / 60
    keep = frame[TARGET].between(MIN_MINUTES, MAX_MINUTES)
    return frame[keep].reset_index(drop=True)


def prepare(frame):
    """Trips ready for the vectorizer: duration filtered, zone ids as strings, ``PU_DO``."""
    frame = add_duration(frame)
    for column in ("PULocationID", "DOLocationID"):
        frame[column] = frame[column].astype(str)
    frame["PU_DO"] = frame["PULocationID"] + "_" + frame["DOLocationID"]
    return frame


def to_dicts(frame) -> list[dict[str, Any]]:
    """One dict per trip with the feature columns, the input ``DictVectorizer`` expects."""
    return frame[CATEGORICAL + NUMERICAL].to_dict(orient="records")


@dataclass
class Features:
    """The matrices a lesson trains and validates on, and the fitted vectorizer."""

    X_train: Any
    X_val: Any
    y_train: Any
    y_val: Any
    dv: Any  # the fitted DictVectorizer, the "preprocessor" lessons log as an artifact

    @property
    def shape(self) -> str:
        return (
            f"train {self.X_train.shape[0]:,} trips, validation {self.X_val.shape[0]:,} trips, "
            f"{self.X_train.shape[1]:,} features"
        )


def build(train_frame, val_frame) -> Features:
    """Fit the vectorizer on prepared training trips, apply it to the validation trips.

    Both frames must already have gone through :func:`prepare`.
    """
    from sklearn.feature_extraction import DictVectorizer

    dv = DictVectorizer()
    X_train = dv.fit_transform(to_dicts(train_frame))
    X_val = dv.transform(to_dicts(val_frame))
    return Features(
        X_train=_with_int32_indices(X_train),
        X_val=_with_int32_indices(X_val),
        y_train=train_frame[TARGET].to_numpy(),
        y_val=val_frame[TARGET].to_numpy(),
        dv=dv,
    )


def _with_int32_indices(matrix):
    """The same sparse matrix with 32-bit index arrays.

    Recent SciPy can hand DictVectorizer's output 64-bit indices, which scikit-learn's linear
    models (Lasso, Ridge) refuse; a month of trips is far below the 32-bit limit.
    """
    import numpy as np

    matrix = matrix.tocsr()
    matrix.indices = matrix.indices.astype(np.int32, copy=False)
    matrix.indptr = matrix.indptr.astype(np.int32, copy=False)
    return matrix
