"""Replacing library methods with logging wrappers, and putting the originals back.

Each flavour registers its patches under its name. `patch` keeps the attribute exactly as
it was found (the class's own entry, or nothing when it was inherited) so `unpatch_all`
restores the library precisely; patching an already patched attribute is a no-op, so a
second `autolog()` call never wraps twice.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass
class _Patch:
    owner: Any
    name: str
    original_entry: Any  # what owner.__dict__ held, or _MISSING when inherited
    wrapper: Any


_patches: dict[str, list[_Patch]] = {}
_configs: dict[str, dict[str, Any]] = {}
_state = threading.local()


def config(flavor: str) -> dict[str, Any] | None:
    """The arguments of the flavour's last `autolog()` call, None when it is disabled."""
    return _configs.get(flavor)


def set_config(flavor: str, settings: dict[str, Any] | None) -> None:
    if settings is None:
        _configs.pop(flavor, None)
    else:
        _configs[flavor] = settings


def is_patched(flavor: str) -> bool:
    return bool(_patches.get(flavor))


def patch(
    flavor: str,
    owner: Any,
    name: str,
    handler: Callable[..., Any],
) -> None:
    """Make `owner.name(*args, **kwargs)` call `handler(original, *args, **kwargs)`.

    The handler runs only when this flavour is enabled and no other autologged call is
    already running on this thread (a Pipeline's fit calls its steps' fit: only the
    outer call logs); otherwise the original runs untouched.
    """
    entry = owner.__dict__.get(name, _MISSING)
    if getattr(entry, "__minitrack_patch__", None) == flavor:
        return
    original = getattr(owner, name)
    is_static = isinstance(entry, staticmethod)
    function = original if not is_static else entry.__func__

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if config(flavor) is None or in_autologged_call():
            return function(*args, **kwargs)
        return handler(function, *args, **kwargs)

    wrapper.__minitrack_patch__ = flavor  # type: ignore[attr-defined]
    setattr(owner, name, staticmethod(wrapper) if is_static else wrapper)
    _patches.setdefault(flavor, []).append(_Patch(owner, name, entry, wrapper))


def unpatch_all(flavor: str) -> None:
    """Put back every attribute the flavour replaced, exactly as it was."""
    for item in reversed(_patches.pop(flavor, [])):
        if item.original_entry is _MISSING:
            if item.name in item.owner.__dict__:
                delattr(item.owner, item.name)
        else:
            setattr(item.owner, item.name, item.original_entry)


# --- "an autologged call is running" -------------------------------------------------
# Process-wide rather than per thread: joblib's threading backend fits a search's
# candidates on worker threads, and those inner fits must not log on their own.

_depth_lock = threading.Lock()
_depth = 0


def in_autologged_call() -> bool:
    return _depth > 0


class autologged_call:  # noqa: N801 - used as a context manager, reads like a statement
    """Marks an autologged call as running; patched calls made inside it pass through."""

    def __enter__(self) -> None:
        global _depth
        with _depth_lock:
            _depth += 1

    def __exit__(self, *exc: object) -> None:
        global _depth
        with _depth_lock:
            _depth -= 1


# --- patching modules imported later -----------------------------------------------------


class _PostImportFinder:
    """Runs callbacks right after a module under a watched package finishes importing.

    `autolog()` patches the estimator classes already imported; a later
    `from sklearn.ensemble import RandomForestRegressor` is patched through this hook
    instead of importing all of scikit-learn up front (which takes seconds).
    """

    def __init__(self) -> None:
        self.callbacks: dict[str, Callable[[Any], None]] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        root = fullname.partition(".")[0]
        if root not in self.callbacks:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, callback = spec.loader, self.callbacks[root]
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            # A patching problem must never break the user's import.
            with contextlib.suppress(Exception):
                callback(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_finder = _PostImportFinder()


def on_import(package: str, callback: Callable[[Any], None] | None) -> None:
    """Call `callback(module)` for each module of `package` imported from now on (None: stop)."""
    import sys

    if callback is None:
        _finder.callbacks.pop(package, None)
    else:
        _finder.callbacks[package] = callback
    if _finder.callbacks and _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    elif not _finder.callbacks and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
