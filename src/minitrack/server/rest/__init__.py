"""MLflow's REST API, the tracking server's face for the ``mlflow`` client.

One module per family of endpoints (``experiments``, ``runs``, ``registry``,
``logged_models``, the artifact proxy in ``artifacts_proxy``); ``request`` reads bodies
and fields, ``shapes`` writes entities as MLflow's protos do, ``routing`` turns each
``(method, path, handler)`` into a Starlette route under ``/api/2.0/mlflow/`` and
``/ajax-api/2.0/mlflow/``. Handlers write through the server's read-write MlflowClient,
so every value is validated as in a local call and committed before the answer.
"""

from __future__ import annotations


def routes() -> list:
    """Every route of MLflow's REST API that the server answers, family by family."""
    from minitrack.server.rest import (
        artifacts_proxy,
        experiments,
        logged_models,
        registry,
        routing,
        runs,
    )

    families = [experiments, runs, logged_models, registry]
    return [*artifacts_proxy.routes, *routing.routes(families)]
