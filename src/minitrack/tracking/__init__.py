"""``minitrack.tracking``: where MLflow keeps ``MlflowClient``."""

from minitrack.client import MlflowClient

__all__ = ["MlflowClient"]
