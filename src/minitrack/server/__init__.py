"""minitrack's web UI: browse, filter and compare runs. Read-only over the store.

``create_app`` builds the Starlette app; ``serve`` runs it with uvicorn (what
``minitrack ui`` and ``minitrack server`` call). Importing this package pulls in
Starlette, so ``import minitrack`` never does.
"""

from minitrack.server.app import create_app
from minitrack.server.serve import serve

__all__ = ["create_app", "serve"]
