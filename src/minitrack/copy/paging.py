"""Every result of a paged client search (a server answers in pages)."""

from __future__ import annotations


def every(search, **kwargs) -> list:
    """Call ``search(..., page_token=...)`` until the last page; all results, in order."""
    found: list = []
    token = None
    while True:
        page = search(**kwargs, page_token=token)
        found.extend(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def quoted(value: str) -> str:
    """A string literal for a search filter (MLflow's grammar takes either quote)."""
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', '\\"') + '"'
