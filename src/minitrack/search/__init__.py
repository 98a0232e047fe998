"""Run search: MLflow's filter and order_by grammar, compiled to parameterised SQL.

``grammar`` parses and checks the strings a user writes; ``sql`` turns the parsed
clauses into one SELECT over the store's tables. A value from a filter string never
becomes SQL text.
"""

from minitrack.search.grammar import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    Comparison,
    OrderBy,
    parse_filter,
    parse_order_by,
)
from minitrack.search.sql import ACTIVE_ONLY, ALL, DELETED_ONLY, build_run_search, like_to_glob

__all__ = [
    "ACTIVE_ONLY",
    "ALL",
    "ATTRIBUTE",
    "DELETED_ONLY",
    "METRIC",
    "PARAM",
    "TAG",
    "Comparison",
    "OrderBy",
    "build_run_search",
    "like_to_glob",
    "parse_filter",
    "parse_order_by",
]
