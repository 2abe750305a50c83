"""``POST /v1/ask``: a question in plain language, answered inside the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from kgcrm.api.deps import StackDep, TenantDep
from kgcrm.api.schemas import BODY_ERRORS, AskRequest, AskResponse
from kgcrm.retrieval.json_values import jsonable

router = APIRouter(tags=["retrieval"])

_EXAMPLES = {
    "count": {"value": {"question": "How many opportunities did we win this quarter?"}},
    "mine": {"value": {"question": "What's on my plate?"}},
    "refine": {"value": {"question": "And how many of those are over 50k?", "conversation_id": "c-7"}},
    "connections": {"value": {"question": "Who can introduce us to Globex?", "conversation_id": "c-42"}},
    "follow-up": {"value": {"question": "And who at that company do we know?", "conversation_id": "c-42"}},
}


@router.post("/v1/ask", summary="Answer a question about the tenant's CRM", responses=BODY_ERRORS)
def ask(
    request: Annotated[AskRequest, Body(openapi_examples=_EXAMPLES)], caller: TenantDep, stack: StackDep
) -> AskResponse:
    answer = stack.ask.ask(request.question, caller.tenant_id, request.conversation_id, user_id=caller.user_id)
    fields = answer.model_dump()
    fields["data"] = jsonable(answer.data)
    return AskResponse(**fields, conversation_id=request.conversation_id)
