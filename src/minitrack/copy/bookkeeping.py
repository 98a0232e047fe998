"""What a copy records: the tags that make it idempotent, and the report it returns.

A copied run, logged model or model version carries ``minitrack.copied_from =
<source store id>/<id in the source>``; finding the target's copies is one search on that
tag, so a second copy adds nothing and an interrupted one picks up where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# Where a copied entity came from: "<source store id>/<source id>".
COPIED_FROM = "minitrack.copied_from"
# On a copied run: the source run's status when its copy last completed. Absent while a
# copy is under way (so an interrupted run is finished next time); RUNNING means the
# source was still running and the next copy brings the run up to date.
COPY_STATE = "minitrack.copy_state"
BOOKKEEPING_TAGS = frozenset({COPIED_FROM, COPY_STATE})


def origin(store_id: str, *parts) -> str:
    return "/".join([store_id, *(str(p) for p in parts)])


class Progress:
    """What the copy tells its caller as it goes; the CLI's subclass draws tqdm bars."""

    def runs_total(self, count: int) -> None:
        pass

    def run_done(self) -> None:
        pass

    def bytes_done(self, count: int) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass
class CopyReport:
    """What a copy did (or, with ``dry_run``, would do), and the id mappings it used."""

    source: str
    target: str
    source_store_id: str
    target_store_id: str
    dry_run: bool = False
    # source experiment id -> target experiment id (None: would be created)
    experiments: dict[str, str | None] = field(default_factory=dict)
    # source run id -> target run id, for every run copied now or before
    runs: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    logged_models: dict[str, str] = field(default_factory=dict)
    # model name -> {source version: target version}
    versions: dict[str, dict[int, int]] = field(default_factory=dict)
    versions_created: int = 0
    models_created: int = 0
    bytes_copied: int = 0
    notes: list[str] = field(default_factory=list)

    def renumbered(self) -> dict[str, dict[int, int]]:
        """The versions whose number on the target differs from the source's."""
        found = {}
        for name, mapping in self.versions.items():
            moved = {s: t for s, t in mapping.items() if s != t}
            if moved:
                found[name] = moved
        return found

    def mapping(self) -> dict:
        """The id mapping, as saved next to a copy (JSON-ready)."""
        return {
            "source": self.source,
            "target": self.target,
            "source_store_id": self.source_store_id,
            "target_store_id": self.target_store_id,
            "experiments": self.experiments,
            "runs": self.runs,
            "logged_models": self.logged_models,
            "model_versions": {
                name: {str(s): t for s, t in m.items()} for name, m in self.versions.items()
            },
        }

    def save_mapping(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.mapping(), f, indent=2)
            f.write("\n")
