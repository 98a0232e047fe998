"""minitrack's web UI: browse, filter and compare runs. Read-only over the store.

``create_app`` builds the Starlette app; ``serve`` runs it with uvicorn (what
``minitrack ui`` and ``minitrack server`` call). Both load Starlette on first
use, so neither ``import minitrack`` nor the other CLI commands pay for it.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name == "create_app":
        from minitrack.server.app import create_app

        return create_app
    if name == "serve":
        from minitrack.server.serve import serve

        return serve
    raise AttributeError(f"module 'minitrack.server' has no attribute {name!r}")
