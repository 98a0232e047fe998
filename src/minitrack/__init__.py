"""minitrack: MLflow's tracking API on a SQLite file and an artifact folder."""

__version__ = "0.1.0"
