"""The OpenAPI schema as a contract: every error answer documented with the contract's body, and its file.

The repository keeps the generated schema in ``openapi.json`` (at its root): an API change is
then a visible diff, and ``tests/api/test_api_openapi.py`` fails while the served schema and
the file differ. Regenerate the file with one command::

    make openapi            # = .venv/bin/kgcrm openapi --out openapi.json

:func:`install_contract_schema` makes ``app.openapi()`` (what ``/openapi.json``, ``/docs`` and
``/redoc`` show) complete FastAPI's schema, for every operation, present and future:

- every route may answer 500 ``internal_error``: documented on each operation;
- an error status documented without a body (``responses={409: {"description": …}}``) gets
  the contract's :class:`~kgcrm.api.schemas.ErrorBody`;
- FastAPI's own 422 body (``HTTPValidationError``, which kgcrm never sends: its handlers
  answer ``invalid_input``) is replaced by ``ErrorBody``, and its models are dropped.

A body documented on purpose stays as it is: ``/readyz`` answers 503 with its readiness
report (each service's state), not with an error body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

#: Where the committed schema lives, relative to the repository's root.
SCHEMA_FILE = "openapi.json"
#: The one command that writes it (named by the test's failure message and the README).
REGENERATE = "make openapi  (= .venv/bin/kgcrm openapi --out openapi.json)"

ERROR_REF = "#/components/schemas/ErrorBody"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

INTERNAL_ERROR_RESPONSE: dict[str, Any] = {
    "description": "A bug (logged with the reference; nothing of it is shown).",
    "content": {
        "application/json": {
            "schema": {"$ref": ERROR_REF},
            "example": {"error": {"code": "internal_error", "message": "internal error (reference 3f9c0a1b2c4d)"}},
        }
    },
}


def _is_error(status: str) -> bool:
    return status.isdigit() and int(status) >= 400


def _json_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def with_error_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (FastAPI's, changed in place and returned) with every error answer as the contract's body."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status, response in responses.items():
                if not _is_error(status):
                    continue
                body = _json_schema(response)
                if body is None or body.get("$ref", "").rsplit("/", 1)[-1] in _FASTAPI_VALIDATION:
                    content = response.setdefault("content", {}).setdefault("application/json", {})
                    content["schema"] = {"$ref": ERROR_REF}
            responses.setdefault("500", json.loads(json.dumps(INTERNAL_ERROR_RESPONSE)))
    components = schema.get("components", {}).get("schemas", {})
    text = json.dumps(schema.get("paths", {}))
    for name in _FASTAPI_VALIDATION:
        if f'"#/components/schemas/{name}"' not in text:
            components.pop(name, None)
    return schema


def contract_schema(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI schema, its error answers completed (:func:`with_error_bodies`)."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    return with_error_bodies(schema)


def install_contract_schema(app: FastAPI) -> None:
    """``app.openapi()`` (computed once, then kept, as FastAPI does) becomes :func:`contract_schema`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = contract_schema(app)
        return app.openapi_schema

    replace: Callable[[], dict[str, Any]] = openapi
    app.openapi = replace  # type: ignore[method-assign]


def render(schema: dict[str, Any]) -> str:
    """The file's text: deterministic (FastAPI's order of paths and fields, two-space indent, final newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema(schema: dict[str, Any], path: Path) -> bool:
    """Write ``path`` when its text differs; whether it changed."""
    text = render(schema)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
