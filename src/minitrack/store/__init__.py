"""The tracking store: one SQLite file per tracking URI, one connection per process."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict

from minitrack.store.sqlite import SqliteStore
from minitrack.uris import db_path_from_uri

# Recently used stores. An evicted store is not closed: clients still holding it keep
# working, and its connection closes when the last of them is gone.
_MAX_CACHED = 16
_stores: OrderedDict[tuple[str, str | None], SqliteStore] = OrderedDict()
_lock = threading.Lock()


def get_store(tracking_uri: str, artifact_root: str | None = None) -> SqliteStore:
    """The (cached) store for a tracking URI; relative paths resolve against the cwd now."""
    key = (db_path_from_uri(tracking_uri), artifact_root)
    store = _stores.get(key)
    if store is not None and store.file_exists():
        with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
            _stores.move_to_end(key)
    elif store is not None:
        # The file was deleted (a student starting afresh): never keep writing to the
        # unlinked file through the old connection; open a new one.
        _stores.pop(key, None)
        store = None
    if store is None:
        with _lock:
            store = _stores.get(key)
            if store is None:
                store = _stores[key] = SqliteStore(key[0], artifact_root)
                while len(_stores) > _MAX_CACHED:
                    _stores.popitem(last=False)
    return store


__all__ = ["SqliteStore", "get_store"]
