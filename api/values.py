"""Values in and out of the routes: free text checked once, graph values as JSON.

The routes share these (and never import each other).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

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


def to_json(value: Any) -> Any:
    """A Neo4j property value as JSON: temporal values as ISO 8601 text, lists element-wise."""
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def jsonable(value: Any) -> Any:
    """Answer data as JSON: Neo4j temporal values become ISO text; containers element-wise."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return to_json(value)
