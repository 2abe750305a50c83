"""``POST /v1/ask``: a question in plain language, answered inside the caller's tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from kgcrm.api.deps import StackDep, TenantDep
from kgcrm.api.routes.entities import to_json
from kgcrm.api.schemas import COMMON_ERRORS, AskRequest, AskResponse

router = APIRouter(tags=["retrieval"])

_EXAMPLES = {
    "count": {"value": {"question": "How many opportunities did we win this quarter?"}},
    "connections": {"value": {"question": "Who can introduce us to Globex?", "conversation_id": "c-42"}},
    "follow-up": {"value": {"question": "And who at that company do we know?", "conversation_id": "c-42"}},
}


def jsonable(value: Any) -> Any:
    """Answer data as JSON: Neo4j temporal values become ISO text; containers element-wise."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return to_json(value)


@router.post("/v1/ask", summary="Answer a question about the tenant's CRM", responses=COMMON_ERRORS)
def ask(
    request: Annotated[AskRequest, Body(openapi_examples=_EXAMPLES)], caller: TenantDep, stack: StackDep
) -> AskResponse:
    answer = stack.ask.ask(request.question, caller.tenant_id, request.conversation_id)
    fields = answer.model_dump()
    fields["data"] = jsonable(answer.data)
    return AskResponse(**fields, conversation_id=request.conversation_id)
