"""``minitrack copy``: move experiments, runs, artifacts, logged models and the registry
from one tracking store to another, through two ``MlflowClient`` objects and their public
calls only (so either end may be a SQLite file or a tracking server).

The core is :func:`copy_store`; the CLI verb in ``minitrack.cli`` is a thin skin over it.
"""

from minitrack.copy.bookkeeping import COPIED_FROM, COPY_STATE, CopyReport, Progress
from minitrack.copy.store import copy_store

__all__ = ["COPIED_FROM", "COPY_STATE", "CopyReport", "Progress", "copy_store"]
