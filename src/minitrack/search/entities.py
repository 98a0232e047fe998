"""One table per searchable entity: what its filters and order_by clauses may name.

The grammar (``grammar.py``) and the SQL compiler (``sql.py``) read everything that
differs between runs, experiments, registered models and model versions from here:
the prefixes a key may carry, the attributes with their column, type and comparators,
the tables that hold keyed values (metrics, params, tags) and the default order.
Every name here is fixed text that may appear in SQL; nothing from a user does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"

NUMBER_COMPARATORS = ("=", "!=", ">", ">=", "<", "<=")
STRING_COMPARATORS = ("=", "!=", "LIKE", "ILIKE")
LIST_COMPARATORS = ("IN", "NOT IN")
NULL_COMPARATORS = ("IS NULL", "IS NOT NULL")

# Attribute value types: "string" (a quoted string), "number" (an int or a float),
# "integer" (a whole number) and "id" (a quoted string holding a whole number, for an
# INTEGER id column that MLflow's grammar treats as a string).
STRING, NUMBER, INTEGER, ID = "string", "number", "integer", "id"


@dataclass(frozen=True)
class Attribute:
    """A column of the entity's own table that a filter or order_by may name."""

    name: str
    column: str
    type: str = STRING
    comparators: tuple[str, ...] = STRING_COMPARATORS
    searchable: bool = True
    orderable: bool = True
    aliases: tuple[str, ...] = ()
    # Filter on this tag instead of the column (runs: run_name is the mlflow.runName tag).
    filter_tag: str | None = None

    @property
    def numeric(self) -> bool:
        return self.type in (NUMBER, INTEGER)


PROMPT_TAG = "mlflow.prompt.is_prompt"


@dataclass(frozen=True)
class Keyed:
    """A table of (key, value) rows per entity: metrics, params or tags."""

    table: str
    comparators: tuple[str, ...]


@dataclass(frozen=True)
class EntityTable:
    """Everything the grammar and the compiler need to know about one entity."""

    name: str  # plural, for messages: "runs"
    noun: str  # singular: "run"
    table: str  # its SQL table
    key_columns: tuple[str, ...]  # its primary key; keyed tables join on the same names
    attributes: tuple[Attribute, ...]
    keyed: dict[str, Keyed]
    key_example: str  # "metrics.rmse, params.alpha, tags.model or status"
    order_example: str  # "'metrics.rmse ASC', 'params.alpha DESC' or 'start_time'"
    # Every accepted prefix spelling -> METRIC, PARAM, TAG or ATTRIBUTE. MLflow's grammar
    # for experiments and the registry takes only these three.
    prefixes: dict[str, str] = field(
        default_factory=lambda: {"tag": TAG, "tags": TAG, "attribute": ATTRIBUTE}
    )
    prefix_help: str = "tags. or attribute."  # the spellings to suggest
    attribute_prefix: str = "attribute."  # how messages spell an attribute key
    orderable_kinds: frozenset[str] = frozenset({ATTRIBUTE})
    # Used when order_by is empty: (attribute, ascending) pairs.
    default_order: tuple[tuple[str, bool], ...] = ()
    # Appended after the user's order, each unless that attribute is already ordered on.
    tie_breaks: tuple[tuple[str, bool], ...] = ()
    # Extra advice after "unknown attribute 'x'", keyed by x.
    hints: dict[str, str] = field(default_factory=dict)
    # Prefixes that are refused with a message of their own.
    refused_prefixes: dict[str, str] = field(default_factory=dict)
    # Fixed SQL conditions every search has (model versions: not the deleted ones).
    fixed_where: tuple[str, ...] = ()
    # MLflow keeps prompts in the registry, marked by this tag, and hides them from a
    # search unless the filter asks for them (`tags.`mlflow.prompt.is_prompt` = 'true').
    prompt_tag: str | None = None

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name`` or one of its aliases."""
        for attr in self.attributes:
            if name == attr.name or name in attr.aliases:
                return attr
        return None

    def listed(self, *, orderable: bool) -> str:
        wanted = [a.name for a in self.attributes if (a.orderable if orderable else a.searchable)]
        return ", ".join(wanted)


_RUN_PREFIXES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}
_DATASETS = (
    "minitrack does not track datasets, so runs cannot be searched by them; log the "
    "dataset name as a param or tag and filter on that"
)
_KEYED_STRING = STRING_COMPARATORS + NULL_COMPARATORS

RUNS = EntityTable(
    name="runs",
    noun="run",
    table="runs",
    key_columns=("run_uuid",),
    prefixes=_RUN_PREFIXES,
    prefix_help="metrics., params., tags. or attributes.",
    attribute_prefix="attributes.",
    attributes=(
        Attribute("run_id", "run_uuid", comparators=STRING_COMPARATORS + LIST_COMPARATORS),
        Attribute(
            "run_name",
            "name",
            aliases=("run name", "Run name", "Run Name"),
            filter_tag="mlflow.runName",
        ),
        Attribute("status", "status"),
        Attribute("user_id", "user_id"),
        Attribute("artifact_uri", "artifact_uri"),
        Attribute(
            "start_time",
            "start_time",
            NUMBER,
            NUMBER_COMPARATORS,
            aliases=("created", "Created"),
        ),
        Attribute("end_time", "end_time", NUMBER, NUMBER_COMPARATORS),
    ),
    keyed={
        METRIC: Keyed("latest_metrics", NUMBER_COMPARATORS),
        PARAM: Keyed("params", _KEYED_STRING),
        TAG: Keyed("tags", _KEYED_STRING),
    },
    orderable_kinds=frozenset({METRIC, PARAM, TAG, ATTRIBUTE}),
    key_example="metrics.rmse, params.alpha, tags.model or status",
    order_example="'metrics.rmse ASC', 'params.alpha DESC' or 'start_time'",
    tie_breaks=(("start_time", False), ("run_id", True)),
    hints={
        "experiment_id": "pass experiment_ids and run_view_type to search_runs instead",
        "lifecycle_stage": "pass experiment_ids and run_view_type to search_runs instead",
    },
    refused_prefixes={"dataset": _DATASETS, "datasets": _DATASETS},
)

EXPERIMENTS = EntityTable(
    name="experiments",
    noun="experiment",
    table="experiments",
    key_columns=("experiment_id",),
    attributes=(
        Attribute("name", "name"),
        Attribute("experiment_id", "experiment_id", ID, ("=", "!=", *LIST_COMPARATORS)),
        Attribute("creation_time", "creation_time", INTEGER, NUMBER_COMPARATORS),
        Attribute("last_update_time", "last_update_time", INTEGER, NUMBER_COMPARATORS),
    ),
    keyed={TAG: Keyed("experiment_tags", _KEYED_STRING)},
    key_example="name, creation_time or tags.team",
    order_example="'name', 'creation_time DESC' or 'last_update_time'",
    default_order=(("creation_time", False), ("experiment_id", True)),
    tie_breaks=(("experiment_id", False),),
    hints={"lifecycle_stage": "pass view_type to search_experiments instead"},
)


def _registry_times(*updated_aliases: str) -> tuple[Attribute, Attribute]:
    """The registry's two timestamps: orderable, not searchable (as in MLflow)."""
    return (
        Attribute("creation_timestamp", "creation_time", INTEGER, searchable=False),
        Attribute(
            "last_updated_timestamp",
            "last_updated_time",
            INTEGER,
            searchable=False,
            aliases=updated_aliases,
        ),
    )


_REGISTRY_TAGS = STRING_COMPARATORS

REGISTERED_MODELS = EntityTable(
    name="registered models",
    noun="registered model",
    table="registered_models",
    key_columns=("name",),
    attributes=(
        Attribute("name", "name", comparators=STRING_COMPARATORS + LIST_COMPARATORS),
        # MLflow's SQL store sorts registered models by "timestamp" as last updated.
        *_registry_times("timestamp"),
    ),
    keyed={TAG: Keyed("registered_model_tags", _REGISTRY_TAGS)},
    prompt_tag=PROMPT_TAG,
    key_example="name or tags.team",
    order_example="'name', 'creation_timestamp DESC' or 'last_updated_timestamp'",
    tie_breaks=(("name", True),),
    hints={
        "version_number": "filter versions with search_model_versions",
        "run_id": "filter versions with search_model_versions",
    },
)

MODEL_VERSIONS = EntityTable(
    name="model versions",
    noun="model version",
    table="model_versions",
    key_columns=("name", "version"),
    attributes=(
        Attribute("name", "name", comparators=STRING_COMPARATORS + LIST_COMPARATORS),
        Attribute("version_number", "version", INTEGER, NUMBER_COMPARATORS),
        Attribute(
            "run_id", "run_id", comparators=STRING_COMPARATORS + LIST_COMPARATORS, orderable=False
        ),
        Attribute("source_path", "source", orderable=False),
        *_registry_times(),
    ),
    keyed={TAG: Keyed("model_version_tags", _REGISTRY_TAGS)},
    prompt_tag=PROMPT_TAG,
    key_example="name, version_number, run_id or tags.team",
    order_example="'name', 'version_number DESC' or 'last_updated_timestamp'",
    default_order=(("last_updated_timestamp", False), ("name", True), ("version_number", False)),
    tie_breaks=(("name", True), ("version_number", False)),
    fixed_where=("model_versions.current_stage IS NOT 'Deleted_Internal'",),
)

# MLflow 3's logged models. Only '=' and '!=' on these few attributes: what MLflow's
# client sends when it looks a run's model up by name (the tracking server filters
# its search results with them).
LOGGED_MODELS = EntityTable(
    name="logged models",
    noun="logged model",
    table="logged_models",
    key_columns=("model_id",),
    attributes=tuple(
        Attribute(name, name, comparators=("=", "!="), orderable=False)
        for name in ("name", "model_id", "source_run_id", "model_type", "status")
    ),
    keyed={},
    key_example="name or source_run_id",
    order_example="(no ordering)",
)
