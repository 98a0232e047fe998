"""Tracking stores behind one interface (``AbstractStore``), and the factory that picks one.

``get_store(tracking_uri)`` gives the (cached) store of a tracking URI: a SQLite file
(``SqliteStore``) or, for ``http(s)://`` URIs, a tracking server (``RestStore``). A new
kind of store implements ``AbstractStore`` in a module of its own here and gets one
branch in ``get_store``; nothing above this package changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from minitrack.store.base import AbstractStore, ExperimentActivity, RunColumns
from minitrack.store.sqlite import SqliteStore
from minitrack.uris import db_path_from_uri, is_server_uri, server_url_from_uri

# Recently used stores. An evicted store is not closed: clients still holding it keep
# working, and its connection closes when the last of them is gone.
_MAX_CACHED = 16
_stores: OrderedDict[tuple, AbstractStore] = OrderedDict()
_lock = threading.Lock()


def get_store(
    tracking_uri: str, artifact_root: str | None = None, *, read_only: bool = False
) -> AbstractStore:
    """The store for a tracking URI; relative paths resolve against the cwd now.

    ``read_only`` is the web UI's store: it never writes and always shows the file as it
    is on disk now.
    """
    if is_server_uri(tracking_uri):
        key = ("server", server_url_from_uri(tracking_uri))
    else:
        key = (db_path_from_uri(tracking_uri), artifact_root, read_only)
    with _lock:
        store = _stores.get(key)
        if store is not None:
            _stores.move_to_end(key)
            return store
    if key[0] == "server":
        from minitrack.store.rest import RestStore  # only now: it brings an HTTP client

        store = RestStore(tracking_uri)
    else:
        store = SqliteStore(key[0], artifact_root, read_only=read_only)
    with _lock:
        store = _stores.setdefault(key, store)
        while len(_stores) > _MAX_CACHED:
            _stores.popitem(last=False)
    return store


__all__ = ["AbstractStore", "ExperimentActivity", "RunColumns", "SqliteStore", "get_store"]
