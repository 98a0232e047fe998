"""The `MLmodel` file: the YAML description at the root of every model folder.

Field names and layout follow MLflow's, so a folder written here is read by MLflow
(`mlflow.pyfunc.load_model(path)`) and a folder written by MLflow is read here.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from minitrack.exceptions import RESOURCE_DOES_NOT_EXIST, MinitrackException

MLMODEL_FILE_NAME = "MLmodel"
PYFUNC_FLAVOR = "python_function"


class Model:
    """What an `MLmodel` file holds (MLflow's `mlflow.models.Model`)."""

    def __init__(
        self,
        artifact_path: str | None = None,
        run_id: str | None = None,
        utc_time_created: str | None = None,
        flavors: dict[str, dict[str, Any]] | None = None,
        signature: dict[str, Any] | None = None,
        saved_input_example_info: dict[str, Any] | None = None,
        model_uuid: str | None = None,
        model_size_bytes: int | None = None,
        metadata: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or str(
            datetime.now(timezone.utc).replace(tzinfo=None)
        )
        self.flavors = flavors or {}
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.model_size_bytes = model_size_bytes
        self.metadata = metadata
        # Fields another writer (MLflow) put there: kept so a round trip loses nothing.
        self.extra = extra

    def add_flavor(self, name: str, **params: Any) -> Model:
        self.flavors[name] = params
        return self

    def to_dict(self) -> dict[str, Any]:
        fields = {
            "artifact_path": self.artifact_path,
            "flavors": self.flavors,
            "model_size_bytes": self.model_size_bytes,
            "model_uuid": self.model_uuid,
            "run_id": self.run_id,
            "utc_time_created": self.utc_time_created,
            "signature": self.signature,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
        }
        fields.update(self.extra)
        return {key: value for key, value in fields.items() if value is not None}

    def to_yaml(self) -> str:

        return dump_yaml(self.to_dict(), sort_keys=True)

    def save(self, path: str | Path) -> None:
        """Write the MLmodel file at `path` (the file itself, not the folder)."""
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read `<folder>/MLmodel` (or the MLmodel file given directly)."""
        import yaml

        path = Path(path)
        if path.is_dir():
            path = path / MLMODEL_FILE_NAME
        if not path.is_file():
            raise MinitrackException(
                f"'{path.parent}' is not a model folder: it has no {MLMODEL_FILE_NAME} file. "
                "Point at the folder that log_model or save_model wrote "
                "(it holds MLmodel, requirements.txt and the model file).",
                RESOURCE_DOES_NOT_EXIST,
            )
        try:
            fields = load_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise MinitrackException(
                f"'{path}' is not a valid MLmodel file: it is not YAML ({where}{problem}). "
                "Save the model again with save_model or log_model."
            ) from None
        if not isinstance(fields, dict) or not isinstance(fields.get("flavors"), dict):
            raise MinitrackException(
                f"'{path}' is not a valid MLmodel file: it has no 'flavors' section. "
                "Save the model again with save_model or log_model."
            )
        return cls(**fields)

    def flavor(self, name: str, model_location: str) -> dict[str, Any]:
        """The configuration of flavour `name`, or a clear error naming the flavours there."""
        if name not in self.flavors:
            found = ", ".join(sorted(self.flavors)) or "none"
            raise MinitrackException(
                f"The model at '{model_location}' has no '{name}' flavour (its flavours: "
                f"{found}). Load it with the loader of one of its flavours, or with "
                "minitrack.pyfunc.load_model.",
                RESOURCE_DOES_NOT_EXIST,
            )
        return self.flavors[name]


def yaml_loader():
    """libyaml's safe loader when PyYAML was built with it (parses MLmodel several times
    faster), else the pure-Python safe loader; both build only plain data."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    import yaml

    return yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader, see above


def dump_yaml(data: Any, sort_keys: bool = False) -> str:
    """Block-style YAML, with libyaml's emitter when it is there (several times faster)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, default_flow_style=False, sort_keys=sort_keys)


def folder_size_bytes(folder: str | Path) -> int:
    """Total size of the files under `folder`."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
