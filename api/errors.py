"""Every error the API answers, as the contract's body ``{"error": {"code", "message", "field"?}}``.

The routes raise kgcrm's own errors (:mod:`kgcrm.core.errors`), or :class:`ApiError` for what
only HTTP says; the handlers below turn every exception into that body, in one place,
by its type (:func:`translate`):

====================================================  ======  =======================
what                                                  status  code
====================================================  ======  =======================
no, malformed, unknown or revoked API key             401     ``unauthorized``
an id or name that does not exist in the tenant       404     ``not_found``
a free-text target that names several entities        409     ``ambiguous`` (+ ``candidates``)
a status move out of a terminal status                409     ``terminal_status`` (+ ``field``)
a sync already running                                409     ``sync_in_progress``
a full sync of one tenant the graph's data blocks      409     ``graph_conflict`` (the message names the fix)
invalid input (query, path, body, malformed JSON)     422     ``invalid_input`` (+ ``field``)
a body that cannot be decoded (not UTF-8)             422     ``invalid_input`` (``field``: ``body``)
a body over the size limit (declared or received)     413     ``payload_too_large``
a request the HTTP server cannot parse (api.protocol) 400     ``bad_request``
a request head over the server's buffer               431     ``headers_too_large``
Neo4j or the SQL database unavailable                 503     ``service_unavailable`` (+ ``Retry-After``)
the graph lacks its schema (an index is missing)      503     ``service_unavailable`` (the message names the fix)
anything else                                         500     ``internal_error`` (logged, never shown)
====================================================  ======  =======================

``field`` is the path of the invalid value inside its location, dotted:
``limit``, ``text``, ``types.0``; ``location`` says where (``query``, ``body``, ``path``).
No handler ever puts a stack trace, a query or a driver message in a body.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import neo4j.exceptions
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kgcrm.core.errors import (
    AmbiguousTargetError,
    DatabaseUnavailable,
    DataError,
    GraphConflictError,
    GraphQueryError,
    KgcrmError,
    Neo4jUnavailable,
    NotFoundError,
    SchemaError,
    ServiceError,
    TerminalStatusError,
)

log = logging.getLogger(__name__)

#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 5

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ApiError(KgcrmError):
    """An answer other than success: status, machine-readable code, message, optional field.

    For what only HTTP says (401, a sync already running); what the layers below mean
    is their own error (:mod:`kgcrm.core.errors`), translated by :func:`translate`.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def unauthorized(message: str = "a valid API key is required: Authorization: Bearer <key>") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def not_found(message: str, *, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, field=field)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_input", message, field=field)


def ambiguous(message: str, candidates: Sequence[Mapping[str, Any]], *, field: str | None = None) -> ApiError:
    return ApiError(409, "ambiguous", message, field=field, extra={"candidates": list(candidates)})


def unavailable(message: str) -> ApiError:
    return ApiError(503, "service_unavailable", message, headers={"Retry-After": str(RETRY_AFTER_S)})


def error_body(
    code: str, message: str, *, field: str | None = None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    if extra:
        error.update(extra)
    return {"error": error}


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, error.message, field=error.field, extra=error.extra),
        status_code=error.status,
        headers=error.headers,
    )


# --- translation of the errors of FastAPI, kgcrm and the drivers --------------------------------


def field_of(loc: Sequence[int | str]) -> tuple[str | None, str]:
    """(location, dotted field) of a validation error's ``loc``: ``("query", "limit")`` → ``("query", "limit")``."""
    parts = list(loc)
    location = str(parts.pop(0)) if parts and parts[0] in _LOCATIONS else None
    if location == "body" and parts and isinstance(parts[0], int):  # malformed JSON: loc is ("body", position)
        parts = []
    return location, ".".join(str(p) for p in parts) or (location or "body")


def _validation_message(error: Mapping[str, Any], field: str) -> str:
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        return "the body is not valid JSON"
    if kind == "missing":
        return f"{field}: required"
    message = str(error.get("msg", "invalid value"))
    return f"{field}: {message}"


def validation_error(exc: RequestValidationError) -> ApiError:
    errors = list(exc.errors())
    if not errors:
        return invalid("body", "invalid request")
    details = []
    for error in errors:
        location, field = field_of(error.get("loc", ()))
        details.append({"location": location, "field": field, "message": _validation_message(error, field)})
    first = details[0]
    return ApiError(
        422,
        "invalid_input",
        str(first["message"]),
        field=str(first["field"]),
        extra={"location": first["location"], "details": details},
    )


def _is_transient(error: GraphQueryError) -> bool:
    code = error.code or ""
    return code.startswith("Neo.TransientError") or "Timeout" in code or "TimedOut" in code


def translate(exc: BaseException) -> ApiError | None:
    """kgcrm's own and the drivers' errors as API errors; ``None`` for a bug (an internal error)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, RequestValidationError):
        return validation_error(exc)
    if isinstance(exc, ServiceError):
        error = translate_service(exc)
        if exc.retry_after_s is not None:  # refused at once by a circuit breaker: it knows when to come back
            error.headers["Retry-After"] = str(exc.retry_after_s)
        return error
    return _translate_other(exc)


def translate_service(exc: ServiceError) -> ApiError:
    if isinstance(exc, DatabaseUnavailable):
        return unavailable("the relational database is unavailable: try again shortly")
    if isinstance(exc, Neo4jUnavailable):
        return unavailable("the graph database is unavailable: try again shortly")
    return unavailable("a backing service is unavailable: try again shortly")


def _translate_other(exc: BaseException) -> ApiError | None:
    if isinstance(exc, neo4j.exceptions.ServiceUnavailable | neo4j.exceptions.SessionExpired):
        return unavailable("the graph database is unavailable: try again shortly")
    if isinstance(exc, SchemaError):  # kgcrm's own message: which index, and the command that creates it
        return unavailable(str(exc))
    if isinstance(exc, neo4j.exceptions.TransientError):
        return unavailable("the graph database is busy: try again shortly")
    if isinstance(exc, neo4j.exceptions.AuthError):
        return unavailable("the graph database refused kgcrm's credentials")
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no free connection of the pool in time
        return unavailable("the relational database is busy: try again shortly")
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError) or (
        isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated
    ):
        return unavailable("the relational database is unavailable: try again shortly")
    if isinstance(exc, GraphQueryError) and _is_transient(exc):
        return unavailable("the graph database is busy: try again shortly")
    if isinstance(exc, NotFoundError):
        return not_found(str(exc), field=exc.field)
    if isinstance(exc, GraphConflictError):
        return ApiError(409, "graph_conflict", str(exc))
    if isinstance(exc, AmbiguousTargetError):
        return ambiguous(str(exc), [c.model_dump() for c in exc.candidates], field=exc.field)
    if isinstance(exc, TerminalStatusError):
        return ApiError(409, "terminal_status", str(exc), field=exc.field)
    if isinstance(exc, DataError):
        return invalid(exc.field or "body", str(exc))
    return None


def internal_error_response(exc: BaseException, request: Request) -> JSONResponse:
    reference = uuid.uuid4().hex[:12]
    log.error("internal error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body("internal_error", f"internal error (reference {reference})"),
        status_code=500,
    )


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    error = translate(exc)
    if error is None:
        return internal_error_response(exc, request)
    if error.status >= 500:
        cause = f"{type(exc).__name__} {getattr(exc, 'code', None) or ''}".strip()
        log.warning("%s %s: %s (%s)", request.method, request.url.path, error.message, cause)
    return error_response(error)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI could not read the body (e.g. bytes that are not UTF-8): invalid input
        error = ApiError(422, "invalid_input", "the body is not valid JSON", field="body", extra={"location": "body"})
        return error_response(error)
    code = {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        422: "invalid_input",
    }.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Every exception → the contract's error body."""
    app.add_exception_handler(RequestValidationError, _handle)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(ApiError, _handle)
    app.add_exception_handler(KgcrmError, _handle)
    app.add_exception_handler(neo4j.exceptions.DriverError, _handle)
    app.add_exception_handler(neo4j.exceptions.Neo4jError, _handle)
    app.add_exception_handler(sqlalchemy.exc.SQLAlchemyError, _handle)
    app.add_exception_handler(Exception, _handle)
