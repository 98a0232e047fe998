"""Autologging: `minitrack.autolog()` enables every supported library that is installed.

`minitrack.autolog` is both this package (the patching machinery and one autologger per
flavour) and MLflow's function `mlflow.autolog(...)`: the module is made callable, so
`minitrack.autolog()` works whichever of the two a student's code reaches first.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

# Flavour name -> the library it patches (import name).
FLAVOR_LIBRARIES = {"sklearn": "sklearn", "xgboost": "xgboost"}


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, str] | None = None,
    **_ignored: Any,
) -> None:
    """Enable (or with disable=True, disable) autologging for each installed library.

    Same arguments as `mlflow.autolog`; libraries that are not installed are skipped.
    """
    for flavor, library in FLAVOR_LIBRARIES.items():
        if importlib.util.find_spec(library) is None:
            continue
        flavor_module = importlib.import_module(f"minitrack.{flavor}")
        flavor_module.autolog(
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            log_models=log_models,
            disable=disable,
            exclusive=exclusive,
            silent=silent,
            extra_tags=extra_tags,
        )


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return autolog(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
