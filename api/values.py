"""Values into the routes: free text checked once (graph values as JSON: :mod:`kgcrm.retrieval.json_values`).

The routes share these (and never import each other).
"""

from __future__ import annotations

from kgcrm.api.errors import invalid
from kgcrm.api.schemas import no_control_characters


def check_text(field: str, value: str) -> str:
    """Free text of a query parameter, trimmed; 422 naming ``field`` when empty or with control characters."""
    text = value.strip()
    if not text:
        raise invalid(field, f"{field}: must not be empty")
    try:
        return no_control_characters(text)
    except ValueError as exc:
        raise invalid(field, f"{field}: {exc}") from exc
