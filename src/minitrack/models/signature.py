"""Model signatures and input examples, in MLflow's JSON shapes.

A signature is stored in MLmodel as two JSON strings (`inputs`, `outputs`): a list of
column specs (`{"type": "double", "name": "a", "required": true}`) for tables, or of
tensor specs (`{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}`)
for arrays. MLflow checks predict() input against it, so the types must be MLflow's names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def _column_type(dtype: Any) -> str:
    """MLflow's data type name for a numpy/pandas dtype."""
    kind = getattr(dtype, "kind", "O")
    itemsize = getattr(dtype, "itemsize", 8)
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "long" if itemsize >= 8 or kind == "u" and itemsize >= 4 else "integer"
    if kind == "f":
        return "float" if itemsize <= 4 else "double"
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    return "string"


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "dtypes")


def _is_dense_array(data: Any) -> bool:
    return type(data).__name__ == "ndarray" and hasattr(data, "dtype")


def _schema(data: Any) -> list[dict[str, Any]] | None:
    """The schema of `data`, or None for shapes we do not describe (sparse, lists)."""
    if _is_dataframe(data):
        return [
            {"type": _column_type(dtype), "name": str(name), "required": True}
            for name, dtype in data.dtypes.items()
        ]
    if type(data).__name__ == "Series":
        return [{"type": _column_type(data.dtype), "required": True}]
    if _is_dense_array(data):
        if data.ndim == 1:
            # Predictions: MLflow describes a 1-D output as one unnamed column.
            return [{"type": _column_type(data.dtype), "required": True}]
        shape = [-1, *data.shape[1:]]
        return [{"type": "tensor", "tensor-spec": {"dtype": str(data.dtype), "shape": shape}}]
    return None


def infer_signature(model_input: Any, model_output: Any = None) -> dict[str, str | None] | None:
    """MLflow's MLmodel `signature` for an input example and the model's output on it.

    Returns None when the input is of a kind not described (sparse matrices, lists):
    a model without a signature still loads and predicts.
    """
    inputs = _schema(model_input)
    if inputs is None:
        return None
    outputs = _schema(model_output) if model_output is not None else None
    return {
        "inputs": json.dumps(inputs),
        "outputs": json.dumps(outputs) if outputs is not None else None,
        "params": None,
    }


def save_input_example(folder: Path, example: Any) -> dict[str, Any] | None:
    """Write `input_example.json` (+ the serving payload) and return MLmodel's info about it."""
    if _is_dataframe(example):
        split = json.loads(example.to_json(orient="split", index=False, date_format="iso"))
        payload = {"columns": split["columns"], "data": split["data"]}
        serving = {"dataframe_split": payload}
        info = {"type": "dataframe", "pandas_orient": "split"}
    elif _is_dense_array(example):
        payload = {"inputs": example.tolist()}
        serving = payload
        info = {"type": "ndarray", "format": "tf-serving"}
    else:
        return None
    (folder / INPUT_EXAMPLE_FILE).write_text(json.dumps(payload), encoding="utf-8")
    (folder / SERVING_INPUT_FILE).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    return {"artifact_path": INPUT_EXAMPLE_FILE, "serving_input_path": SERVING_INPUT_FILE, **info}


def first_rows(data: Any, n: int = 5) -> Any:
    """The first `n` rows of a DataFrame or dense array (an input example), else None."""
    if _is_dataframe(data):
        return data.head(n)
    if _is_dense_array(data) and data.ndim >= 1:
        return data[:n]
    return None
