"""Turn a matplotlib or plotly figure into file bytes (for log_figure)."""

from __future__ import annotations

import io
import os

from minitrack.exceptions import MinitrackException


def figure_bytes(figure, artifact_file: str, save_kwargs: dict | None = None) -> bytes:
    suffix = os.path.splitext(artifact_file)[1].lower().lstrip(".")
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        buf = io.BytesIO()
        figure.savefig(buf, format=suffix or "png", **(save_kwargs or {}))
        return buf.getvalue()
    if module.startswith("plotly"):
        if suffix == "html":
            return figure.to_html(**(save_kwargs or {})).encode("utf-8")
        try:
            return figure.to_image(format=suffix or "png", **(save_kwargs or {}))
        except Exception as e:
            raise MinitrackException(
                f"Could not render the plotly figure as {suffix or 'png'} ({e}). "
                "Log it as .html instead, or install kaleido for image formats."
            ) from None
    raise MinitrackException(
        f"log_figure takes a matplotlib or plotly figure, got {type(figure).__name__}."
    )
