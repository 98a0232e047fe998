"""Search: MLflow's filter and order_by grammar, compiled to parameterised SQL.

``entities`` holds one table per searchable entity (runs, experiments, registered
models, model versions); ``grammar`` parses and checks the strings a user writes
against such a table; ``sql`` turns the parsed clauses into one SELECT over the store's
tables. A value from a filter string never becomes SQL text.
"""

from minitrack.search.entities import (
    ATTRIBUTE,
    EXPERIMENTS,
    METRIC,
    MODEL_VERSIONS,
    PARAM,
    REGISTERED_MODELS,
    RUNS,
    TAG,
    Attribute,
    EntityTable,
)
from minitrack.search.grammar import (
    MAX_CLAUSES,
    MAX_LIST_VALUES,
    MAX_ORDER_BY,
    Comparison,
    OrderBy,
    parse_filter,
    parse_order_by,
)
from minitrack.search.sql import (
    ACTIVE_ONLY,
    ALL,
    DELETED_ONLY,
    build_experiment_search,
    build_model_version_search,
    build_registered_model_search,
    build_run_search,
    like_to_glob,
)

__all__ = [
    "ACTIVE_ONLY",
    "ALL",
    "ATTRIBUTE",
    "DELETED_ONLY",
    "EXPERIMENTS",
    "MAX_CLAUSES",
    "MAX_LIST_VALUES",
    "MAX_ORDER_BY",
    "METRIC",
    "MODEL_VERSIONS",
    "PARAM",
    "REGISTERED_MODELS",
    "RUNS",
    "TAG",
    "Attribute",
    "Comparison",
    "EntityTable",
    "OrderBy",
    "build_experiment_search",
    "build_model_version_search",
    "build_registered_model_search",
    "build_run_search",
    "like_to_glob",
    "parse_filter",
    "parse_order_by",
]
