"""Graph values as JSON: what the API, MCP and the evaluations send of an answer.

Neo4j's temporal values become ISO 8601 text; containers are converted element-wise.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any


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
