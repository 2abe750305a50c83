"""``POST /v1/feedback`` and ``DELETE /v1/feedback/{id}``: decisions that later runs honour (issue 14).

A decision confirms or rejects a duplicate pair or a mention's resolution, or dismisses a
suggestion or a tie; it is written to the relational CRM (the ``feedback`` table, audited,
in change_log) as the key's user (a team key names the user with ``acting_user_email``),
with ``via_agent`` when an agent made it. The rules: :mod:`kgcrm.crm.feedback`. An id of
another tenant is 404 naming the field, exactly like an id that does not exist, and
nothing is written. The next sync mirrors the decision; ``DELETE`` reverts it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, ConfigDict, Field

from kgcrm.api.deps import EngineDep, TenantDep
from kgcrm.api.errors import unauthorized
from kgcrm.api.schemas import BODY_ERRORS, COMMON_ERRORS, MAX_ID, NOT_FOUND, ApiRequest
from kgcrm.api.tools import Email, LongText, RowId, actor
from kgcrm.core.errors import InactiveUserError
from kgcrm.crm import feedback

router = APIRouter(tags=["feedback"])

Kind = Literal["duplicate", "resolution", "suggestion", "tie"]
Decision = Literal["confirm", "reject", "dismiss"]


class FeedbackRequest(ApiRequest):
    kind: Kind = Field(
        description="duplicate (two people or organizations), resolution (a mention and an entity), "
        "suggestion (a suggestion's key), tie (two people)."
    )
    decision: Decision = Field(description="confirm or reject (duplicate, resolution); dismiss (suggestion, tie).")
    subject_id: RowId | None = Field(
        default=None, description="duplicate / tie: one record; resolution: the entity the mention means."
    )
    object_id: RowId | None = Field(default=None, description="duplicate / tie: the other record.")
    mention: Annotated[str, Field(min_length=1, max_length=feedback.MAX_MENTION)] | None = Field(
        default=None, description="resolution: the text that was resolved, e.g. 'Bob at Acme'."
    )
    suggestion_key: Annotated[str, Field(min_length=1, max_length=feedback.MAX_KEY)] | None = Field(
        default=None, description="suggestion: its `key`, as GET /v1/suggestions gave it."
    )
    evidence_hash: Annotated[str, Field(min_length=1, max_length=feedback.MAX_KEY)] | None = Field(
        default=None, description="suggestion: its `evidence_hash`; the suggestion comes back when it changes."
    )
    reason: Annotated[str, Field(min_length=1, max_length=feedback.MAX_REASON)] | None = Field(
        default=None, description="Why, in the user's words (optional)."
    )
    via_agent: bool = Field(default=False, description="An AI agent made this decision on the user's behalf.")
    prompt: LongText | None = Field(default=None, description="With via_agent: the user's request, verbatim.")
    reasoning: LongText | None = Field(default=None, description="With via_agent: why the agent decided so.")
    acting_user_email: Email | None = Field(
        default=None, description="Only with a key that has no user: the team member who decides."
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "duplicate",
                    "decision": "reject",
                    "subject_id": "0c5b2f1e-3d4a-4b6c-8e9f-1a2b3c4d5e6f",
                    "object_id": "7d1e0a9b-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                    "reason": "two different people with the same name",
                }
            ]
        },
    )


class FeedbackRow(BaseModel):
    id: str
    kind: str
    decision: str
    subject_type: str | None = None
    subject_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    mention: str | None = None
    suggestion_key: str | None = None
    evidence_hash: str | None = None
    reason: str | None = None
    created_by: str | None = None
    updated_by: str | None = None
    via_agent: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class FeedbackResponse(BaseModel):
    feedback: FeedbackRow
    change_seqs: list[int] = Field(description="The change_log rows that record the write.")
    acting_user_id: str
    reverted: bool = False


def _response(outcome: feedback.FeedbackOutcome, *, reverted: bool = False) -> FeedbackResponse:
    row: dict[str, Any] = {k: v for k, v in outcome.row.items() if k in FeedbackRow.model_fields}
    return FeedbackResponse(
        feedback=FeedbackRow.model_validate(row),
        change_seqs=outcome.change_seqs,
        acting_user_id=outcome.acting_user_id,
        reverted=reverted,
    )


@router.post(
    "/v1/feedback",
    summary="Record a decision: confirm / reject a duplicate or a resolution, dismiss a suggestion or a tie",
    responses={**BODY_ERRORS, 404: NOT_FOUND},
    status_code=201,
)
def post_feedback(
    request: Annotated[FeedbackRequest, Body()],
    caller: TenantDep,
    engine: EngineDep,
) -> FeedbackResponse:
    data = feedback.FeedbackInput(
        kind=request.kind,
        decision=request.decision,
        subject_id=request.subject_id,
        object_id=request.object_id,
        mention=request.mention,
        suggestion_key=request.suggestion_key,
        evidence_hash=request.evidence_hash,
        reason=request.reason,
    )
    try:
        outcome = feedback.record(
            engine,
            caller.tenant_id,
            actor(caller, request.acting_user_email),
            data,
            via_agent=request.via_agent,
            prompt=request.prompt,
            reasoning=request.reasoning,
        )
    except InactiveUserError as exc:
        raise unauthorized("invalid API key") from exc
    return _response(outcome)


@router.delete(
    "/v1/feedback/{feedback_id}",
    summary="Revert a decision (the row is deleted; change_log keeps the history)",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
)
def delete_feedback(
    feedback_id: Annotated[str, Path(min_length=1, max_length=MAX_ID)],
    caller: TenantDep,
    engine: EngineDep,
    acting_user_email: str | None = None,
) -> FeedbackResponse:
    try:
        outcome = feedback.revert(engine, caller.tenant_id, actor(caller, acting_user_email), feedback_id)
    except InactiveUserError as exc:
        raise unauthorized("invalid API key") from exc
    return _response(outcome, reverted=True)
