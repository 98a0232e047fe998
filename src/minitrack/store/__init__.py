"""The tracking store: one SQLite file per tracking URI, one connection per process."""

from __future__ import annotations

import threading

from minitrack.store.sqlite import SqliteStore
from minitrack.uris import db_path_from_uri

_stores: dict[tuple[str, str | None], SqliteStore] = {}
_lock = threading.Lock()


def get_store(tracking_uri: str, artifact_root: str | None = None) -> SqliteStore:
    """The (cached) store for a tracking URI; relative paths resolve against the cwd now."""
    key = (db_path_from_uri(tracking_uri), artifact_root)
    store = _stores.get(key)
    if store is not None and not store.file_exists():
        # The file was deleted (a student starting afresh): never keep writing to the
        # unlinked file through the old connection; open a new one.
        _stores.pop(key, None)
        store.close()
        store = None
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = SqliteStore(key[0], artifact_root)
    return store


__all__ = ["SqliteStore", "get_store"]
