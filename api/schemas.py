"""Request and response bodies of the HTTP API, with their bounds and OpenAPI examples.

The contract (``shared/api-contract.md``) fixes the names and shapes; these models add
the bounds every input is checked against before anything runs: text at most
:data:`MAX_TEXT` characters with no control characters, ``limit`` 1..:data:`MAX_LIMIT`,
``max_hops`` 1..:data:`MAX_HOPS`, ``depth`` 1..2, entity types from :data:`ENTITY_TYPES`.
Unknown fields in a request body are refused (a typo must not be silently ignored).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from kgcrm.retrieval.connections import MAX_HOPS as CONNECTIONS_MAX_HOPS
from kgcrm.retrieval.types import ENTITY_TYPES, Answer, Candidate, Connections, EntityRef, EntityType

MAX_TEXT = 1000
MAX_LIMIT = 50
#: Hops per introduction path: the connection finder's own bound, and never more than 6.
MAX_HOPS = min(6, CONNECTIONS_MAX_HOPS)
MAX_ID = 128
MAX_NEIGHBORS = 200
DEFAULT_NEIGHBORS = 100

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: str) -> str:
    """Refuse NUL and the other control characters (tabs and line breaks are fine)."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def trimmed_text(value: str) -> str:
    """Trim the surrounding whitespace; refuse blank text and control characters."""
    text = value.strip()
    if not text:
        raise ValueError("must not be blank")
    return no_control_characters(text)


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def iso_datetime_text(value: Any) -> Any:
    """Only text that reads as an ISO 8601 date and time passes on (pydantic alone takes 1 or "1" as 1970)."""
    if isinstance(value, datetime):  # already parsed (a Python caller)
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError("must be an ISO 8601 date and time with a time zone, e.g. 2026-12-01T09:00:00+00:00")
    return value.strip()


#: A point in time from a caller: ISO 8601 text with a time zone; numbers and zone-less times are refused (422).
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(iso_datetime_text)]


#: Free text from a caller: 1..1000 characters as sent (the documented bounds), not blank,
#: no control characters; trimmed. (The length is checked before trimming, so that what the
#: OpenAPI schema says, ``maxLength: 1000``, is exactly what is accepted.)
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(trimmed_text)]

ConversationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


class ApiRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- /v1/resolve ------------------------------------------------------------------------------


class ResolveRequest(ApiRequest):
    text: Text = Field(
        description="A free-text mention: a name (typos and nicknames welcome), "
        "'X at Org', an email, a domain, a description or a time reference."
    )
    types: list[EntityType] | None = Field(
        default=None, min_length=1, max_length=len(ENTITY_TYPES), description="Only entities of these types."
    )
    limit: int = Field(default=5, ge=1, le=MAX_LIMIT, description="At most this many candidates.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "Bob at Acme", "types": ["Person"], "limit": 5}]},
    )


class ResolveResponse(BaseModel):
    text: str
    candidates: list[Candidate]
    ambiguous: bool

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "Bob at Acme",
                    "candidates": [
                        {
                            "id": "6f1c1d9e-8a63-4a41-9d1e-0b7c2f3a4d5e",
                            "type": "Person",
                            "name": "Robert Smith",
                            "score": 0.93,
                            "reasons": ["nickname of Robert", "works at Acme Corp"],
                        }
                    ],
                    "ambiguous": False,
                }
            ]
        }
    )


# --- /v1/ask ---------------------------------------------------------------------------------


class AskRequest(ApiRequest):
    question: Text = Field(description="A question about the tenant's CRM.")
    conversation_id: ConversationId | None = Field(
        default=None, description="Follow-up questions of one conversation share it ('that company', 'them')."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"question": "How many opportunities did we win this quarter?", "conversation_id": "c-42"}]
        },
    )


class AskResponse(Answer):
    conversation_id: str | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answer": "12 opportunities.",
                    "data": {"kind": "value", "value": 12, "currency": None},
                    "interpretation": "Counting opportunities with status category won and close date in this "
                    "quarter (2026-10-01 to 2026-12-31)",
                    "unapplied": [],
                    "query": {
                        "entity": "deal",
                        "filters": [{"field": "status_category", "op": "=", "value": "won"}],
                        "time": [
                            {"field": "closed_at", "start": "2026-10-01T00:00:00Z", "end": "2027-01-01T00:00:00Z"}
                        ],
                        "measure": {"agg": "count"},
                    },
                    "cypher": "MATCH (n:Lead:Opportunity {tenant_id: $tenant_id}) WHERE … RETURN count(n) AS value",
                    "sources": [],
                    "method": "semantic_layer",
                    "focus": None,
                    "conversation_id": "c-42",
                }
            ]
        }
    )


# --- /v1/search --------------------------------------------------------------------------------


class SearchResult(EntityRef):
    score: float
    snippet: str | None = None
    updated_at: str | None = None


class SearchResponse(BaseModel):
    results: list[SearchResult]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "id": "9d3a…",
                            "type": "Note",
                            "name": "Renewal call notes",
                            "score": 1.0,
                            "snippet": "They want SSO before renewing…",
                            "updated_at": "2026-11-20T10:00:00+00:00",
                        }
                    ]
                }
            ]
        }
    )


# --- /v1/connections ---------------------------------------------------------------------------


class ConnectionsResponse(Connections):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": {"id": "c71e…", "type": "Person", "name": "Dana Lee"},
                    "paths": [
                        {
                            "score": 0.72,
                            "from_user": {"id": "a9f0…", "type": "User", "name": "Sam Ortiz"},
                            "nodes": [
                                {"id": "5e2d…", "type": "Person", "name": "Sam Ortiz"},
                                {"id": "c71e…", "type": "Person", "name": "Dana Lee"},
                            ],
                            "hops": [
                                {
                                    "from": "5e2d…",
                                    "to": "c71e…",
                                    "relation": "INTERACTED",
                                    "strength": 0.72,
                                    "evidence": [{"table": "interaction", "id": "77aa…", "summary": "Intro call"}],
                                }
                            ],
                            "explanation": "Sam met Dana 6 times, last 2 weeks ago.",
                        }
                    ],
                }
            ]
        }
    )


# --- /v1/entities --------------------------------------------------------------------------------


class EntityResponse(EntityRef):
    labels: list[str]
    properties: dict[str, Any]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0c5b…",
                    "type": "Organization",
                    "name": "Acme Corp",
                    "labels": ["Organization"],
                    "properties": {"id": "0c5b…", "name": "Acme Corp", "domain": "acme.com", "tenant_id": "1f2e…"},
                }
            ]
        }
    )


class Relationship(BaseModel):
    from_: str = Field(alias="from")
    to: str
    type: str

    model_config = ConfigDict(populate_by_name=True)


class NeighborhoodResponse(BaseModel):
    entity: EntityRef
    depth: int
    nodes: list[EntityRef]
    relationships: list[Relationship]
    truncated: bool = Field(description="True when more entities were within reach than `limit`.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity": {"id": "0c5b…", "type": "Organization", "name": "Acme Corp"},
                    "depth": 1,
                    "nodes": [
                        {"id": "0c5b…", "type": "Organization", "name": "Acme Corp"},
                        {"id": "41d7…", "type": "Contact", "name": "Dana Lee"},
                    ],
                    "relationships": [{"from": "41d7…", "to": "0c5b…", "type": "AT"}],
                    "truncated": False,
                }
            ]
        }
    )


# --- /v1/sync --------------------------------------------------------------------------------------


class SyncRequest(ApiRequest):
    mode: Literal["incremental", "full"] = Field(
        default="incremental",
        description="incremental: apply the change log since the last run; full: re-read the caller's tenant.",
    )

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"mode": "incremental"}]})


class SyncResponse(BaseModel):
    mode: str
    tenant: str | None
    last_seq: int | None
    pending: int
    seconds: float
    nodes_written: dict[str, int] | None = Field(
        default=None, description="Full sync: nodes written per label (all of the caller's tenant)."
    )
    relationships_written: dict[str, int] | None = None
    deleted: dict[str, int] | None = None
    rows_rejected: int | None = Field(default=None, description="Full sync: rows that could not be mirrored.")
    embedded: int | None = Field(default=None, description="Entities whose embedding was (re)computed.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "incremental",
                    "tenant": "acme",
                    "last_seq": 48213,
                    "pending": 0,
                    "seconds": 0.41,
                    "nodes_written": None,
                    "relationships_written": None,
                    "deleted": None,
                    "rows_rejected": None,
                    "embedded": 3,
                }
            ]
        }
    )


class SyncStatus(BaseModel):
    last_seq: int = Field(description="The last change_log seq applied to the graph (0: never).")
    pending: int = Field(description="The caller's tenant's changes not yet applied.")
    last_synced_at: str | None = Field(description="When the sync last ran (ISO 8601, UTC); null: never.")
    lag_seconds: float = Field(description="Age of the oldest pending change of the tenant; 0 when none.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"last_seq": 48213, "pending": 2, "last_synced_at": "2026-11-25T09:00:03+00:00", "lag_seconds": 1.7}
            ]
        }
    )


# --- health ----------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ServiceState(BaseModel):
    status: Literal["ok", "error", "disabled"]
    error: str | None = None
    missing: list[str] | None = None  # graph_schema: constraints and indexes not in the graph
    populating: list[str] | None = None  # graph_schema: indexes still being built


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    services: dict[str, ServiceState]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "services": {
                        "database": {"status": "ok"},
                        "neo4j": {"status": "ok"},
                        "embedding": {"status": "ok"},
                    },
                }
            ]
        }
    )


# --- errors ------------------------------------------------------------------------------------------


class ErrorItem(BaseModel):
    """One invalid value of an ``invalid_input`` error."""

    location: str | None = Field(default=None, description="Where: query, body, path, header or arguments.")
    field: str = Field(description="The value's dotted path inside its location: limit, text, types.0.")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(
        description="Machine-readable: unauthorized, not_found, invalid_input, ambiguous, terminal_status, "
        "sync_in_progress, graph_conflict, payload_too_large, service_unavailable, internal_error …"
    )
    message: str = Field(description="For a person; never a stack trace, a query or a driver message.")
    field: str | None = Field(default=None, description="The input the error is about, when there is one.")
    location: str | None = Field(default=None, description="invalid_input: where the first invalid value is.")
    details: list[ErrorItem] | None = Field(default=None, description="invalid_input: every invalid value.")
    candidates: list[dict[str, Any]] | None = Field(
        default=None, description="ambiguous: the entities the text could mean, best first."
    )

    model_config = ConfigDict(extra="allow")


class ErrorBody(BaseModel):
    error: ErrorDetail


def _error(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": code, "message": message}
    if field:
        detail["field"] = field
    detail.update(extra)
    return {"model": ErrorBody, "content": {"application/json": {"example": {"error": detail}}}}


UNAUTHORIZED = _error("unauthorized", "a valid API key is required: Authorization: Bearer <key>")
NOT_FOUND = _error("not_found", "no entity 6f1c… in this tenant")
INVALID = _error("invalid_input", "limit: Input should be less than or equal to 50", "limit", location="query")
UNAVAILABLE = _error("service_unavailable", "the graph database is unavailable: try again shortly")
AMBIGUOUS = _error(
    "ambiguous",
    "'Bob' could be several people or organizations: name one by id",
    "target",
    candidates=[{"id": "6f1c…", "type": "Person", "name": "Bob Smith", "score": 0.61, "reasons": ["first name"]}],
)

TOO_LARGE = _error("payload_too_large", "the request body is larger than 65536 bytes")
INTERNAL = _error("internal_error", "internal error (reference 3f9c0a1b2c4d)")
SYNC_RUNNING = _error("sync_in_progress", "a sync is already running: try again shortly")

#: The errors every authenticated endpoint may answer.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {401: UNAUTHORIZED, 422: INVALID, 503: UNAVAILABLE}
#: ... and those of an endpoint that takes a body (refused over the size limit, counted as received).
BODY_ERRORS: dict[int | str, dict[str, Any]] = {**COMMON_ERRORS, 413: TOO_LARGE}
