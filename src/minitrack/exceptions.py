"""The one exception type minitrack raises, with MLflow's error codes."""

from __future__ import annotations

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_ERROR = "INTERNAL_ERROR"
# A store that cannot answer now (locked by another process): HTTP 503, worth a retry.
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"


class MinitrackException(Exception):
    """Raised for every error minitrack reports to its user.

    The message says what was wrong and what to do about it; ``error_code``
    carries MLflow's code name (``INVALID_PARAMETER_VALUE`` by default).
    """

    def __init__(self, message: str, error_code: str = INVALID_PARAMETER_VALUE) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


# MLflow's name, so `except mlflow.exceptions.MlflowException` style code reads the same.
MlflowException = MinitrackException
