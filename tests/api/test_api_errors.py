"""``kgcrm.api.errors.translate``: kgcrm's errors as API answers, by type alone."""

from __future__ import annotations

from kgcrm.api.errors import ApiError, translate
from kgcrm.core.errors import (
    AmbiguousTargetError,
    DataError,
    GraphQueryError,
    LLMError,
    NotFoundError,
    TenantNotFound,
    TerminalStatusError,
    UnsafeCypherError,
)
from kgcrm.retrieval.types import Candidate

CANDIDATES = [
    Candidate(id="p-1", type="Person", name="Priya Patel", score=0.61, reasons=["name"]),
    Candidate(id="p-2", type="Person", name="Priya Shah", score=0.6, reasons=["first name"]),
]


def answer(exc: BaseException) -> ApiError:
    error = translate(exc)
    assert error is not None
    return error


def test_an_ambiguous_target_is_409_with_its_candidates_as_json():
    error = answer(AmbiguousTargetError("Priya", CANDIDATES))
    assert (error.status, error.code, error.field) == (409, "ambiguous", "target")
    assert error.extra["candidates"] == [
        {"id": "p-1", "type": "Person", "name": "Priya Patel", "score": 0.61, "reasons": ["name"]},
        {"id": "p-2", "type": "Person", "name": "Priya Shah", "score": 0.6, "reasons": ["first name"]},
    ]
    assert error.message == "'Priya' could be several people or organizations: name one by id"


def test_a_data_error_that_merely_has_candidates_is_not_ambiguous():
    """By type, not by attribute: only AmbiguousTargetError is a 409."""
    lookalike = DataError("bad value", field="text")
    lookalike.candidates = CANDIDATES  # type: ignore[attr-defined]
    error = answer(lookalike)
    assert (error.status, error.code, error.field) == (422, "invalid_input", "text")
    assert "candidates" not in error.extra


def test_not_found_is_404_naming_its_field():
    error = answer(NotFoundError("no entity x in this tenant", field="entity_id"))
    assert (error.status, error.code, error.field, error.message) == (
        404,
        "not_found",
        "entity_id",
        "no entity x in this tenant",
    )


def test_a_missing_tenant_is_a_not_found_error_naming_the_slug():
    error = TenantNotFound("acme")
    assert isinstance(error, NotFoundError) and error.slug == "acme"
    assert str(error) == "tenant 'acme' does not exist"
    assert "kgcrm sync --full" in str(TenantNotFound("acme", in_graph=True))
    assert answer(error).status == 404


def test_a_transient_graph_query_error_is_503_and_a_refused_query_is_a_bug():
    assert answer(GraphQueryError("q", "Neo.TransientError.General.MemoryPoolOutOfMemoryError", "busy")).status == 503
    assert translate(GraphQueryError("q", "Neo.ClientError.Statement.SyntaxError", "bad")) is None


def test_an_unreachable_llm_is_503_and_an_unsafe_query_is_a_bug():
    assert answer(LLMError("the chat model does not answer")).status == 503
    assert translate(UnsafeCypherError("writes")) is None


def test_an_api_error_is_itself():
    error = ApiError(409, "sync_in_progress", "a sync is already running")
    assert translate(error) is error


def test_a_move_out_of_a_terminal_status_is_409_naming_the_status():
    error = answer(TerminalStatusError("lead l-1 is in the terminal status 'Closed Won': it does not move any more"))
    assert (error.status, error.code, error.field) == (409, "terminal_status", "status")
    assert error.message.startswith("lead l-1 is in the terminal status")
