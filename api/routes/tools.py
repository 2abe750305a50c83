"""The agent tools over HTTP: ``GET /v1/tools`` (their schemas) and ``POST /v1/tools/<name>``.

``GET /v1/tools`` lists the tools in the OpenAI function-calling format, generated from
the request models the endpoints below validate their bodies with: an agent framework
passes that list to its model, then posts each call's ``arguments`` to
``/v1/tools/<name>`` as they are. What the tools do, who they write as, and the
workflow rules of status moves: :mod:`kgcrm.crm.actions`.

Every tool answers 200 with a :class:`~kgcrm.api.tools.ToolResult` (the row, and the
change_log seqs that record the prompt and reasoning); 404 for an id that is not a row
of the caller's tenant, 422 for invalid input or a status of the wrong workflow, 409
``terminal_status`` for a move out of a terminal status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from kgcrm.api.deps import EngineDep, TenantDep
from kgcrm.api.schemas import BODY_ERRORS, COMMON_ERRORS, NOT_FOUND, _error
from kgcrm.api.tools import (
    AGENT_TOOLS,
    CreateNoteRequest,
    CreateTaskRequest,
    LogInteractionRequest,
    MoveLeadStatusRequest,
    MoveTaskStatusRequest,
    ToolResult,
    openai_tools,
    run_tool,
)

router = APIRouter(tags=["tools"])

TERMINAL = _error(
    "terminal_status",
    "lead 2b0e… is in the terminal status 'Closed Won': it does not move any more (reopen it in the CRM)",
    "status",
)
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {**BODY_ERRORS, 404: NOT_FOUND}


def _example(model: type[Any]) -> dict[str, Any]:
    return {"example": {"value": model.model_config["json_schema_extra"]["examples"][0]}}


@router.get(
    "/v1/tools",
    summary="The agent tools, in the OpenAI function-calling format",
    responses={
        **COMMON_ERRORS,
        200: {
            "content": {
                "application/json": {
                    "example": [
                        {
                            "type": "function",
                            "function": {
                                "name": "create_note",
                                "description": "Add a note about a person, contact, organization, account or lead…",
                                "parameters": {"type": "object", "properties": {"subject_id": {"type": "string"}}},
                            },
                        }
                    ]
                }
            }
        },
    },
)
def list_tools(caller: TenantDep) -> list[dict[str, Any]]:
    return openai_tools()


def _doc(name: str) -> dict[str, Any]:
    tool = AGENT_TOOLS[name]
    return {"summary": tool.summary, "description": tool.description}


@router.post("/v1/tools/create_note", responses=WRITE_ERRORS, **_doc("create_note"))
def create_note(
    request: Annotated[CreateNoteRequest, Body(openapi_examples=_example(CreateNoteRequest))],
    caller: TenantDep,
    engine: EngineDep,
) -> ToolResult:
    return run_tool(engine, caller, "create_note", request)


@router.post("/v1/tools/create_task", responses=WRITE_ERRORS, **_doc("create_task"))
def create_task(
    request: Annotated[CreateTaskRequest, Body(openapi_examples=_example(CreateTaskRequest))],
    caller: TenantDep,
    engine: EngineDep,
) -> ToolResult:
    return run_tool(engine, caller, "create_task", request)


@router.post("/v1/tools/log_interaction", responses=WRITE_ERRORS, **_doc("log_interaction"))
def log_interaction(
    request: Annotated[LogInteractionRequest, Body(openapi_examples=_example(LogInteractionRequest))],
    caller: TenantDep,
    engine: EngineDep,
) -> ToolResult:
    return run_tool(engine, caller, "log_interaction", request)


@router.post("/v1/tools/move_lead_status", responses={**WRITE_ERRORS, 409: TERMINAL}, **_doc("move_lead_status"))
def move_lead_status(
    request: Annotated[MoveLeadStatusRequest, Body(openapi_examples=_example(MoveLeadStatusRequest))],
    caller: TenantDep,
    engine: EngineDep,
) -> ToolResult:
    return run_tool(engine, caller, "move_lead_status", request)


@router.post("/v1/tools/move_task_status", responses={**WRITE_ERRORS, 409: TERMINAL}, **_doc("move_task_status"))
def move_task_status(
    request: Annotated[MoveTaskStatusRequest, Body(openapi_examples=_example(MoveTaskStatusRequest))],
    caller: TenantDep,
    engine: EngineDep,
) -> ToolResult:
    return run_tool(engine, caller, "move_task_status", request)
