"""``GET /v1/entities/{id}`` and ``GET /v1/entities/{id}/neighborhood``.

An id that is not an entity of the caller's tenant (another tenant's, a status, a
made-up one) is 404, the same answer whatever the reason: the caller cannot tell
another tenant's ids from ids that do not exist. The neighbourhood only walks
through, and only shows, entities of the caller's tenant
(:class:`kgcrm.retrieval.entities.EntityReader` reads both).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from kgcrm.api.deps import StackDep, TenantDep
from kgcrm.api.schemas import (
    COMMON_ERRORS,
    DEFAULT_NEIGHBORS,
    MAX_ID,
    MAX_NEIGHBORS,
    NOT_FOUND,
    EntityResponse,
    NeighborhoodResponse,
    Relationship,
)
from kgcrm.core.errors import NotFoundError
from kgcrm.retrieval.json_values import to_json

router = APIRouter(tags=["entities"])

EntityId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_ID,
        description="The entity's relational row id.",
        examples=["6f1c1d9e-8a63-4a41-9d1e-0b7c2f3a4d5e"],
    ),
]


@router.get(
    "/v1/entities/{entity_id}",
    summary="One entity of the tenant, with its properties",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
)
def get_entity(entity_id: EntityId, caller: TenantDep, stack: StackDep) -> EntityResponse:
    entity = stack.entities.entity(entity_id, caller.tenant_id)
    if entity is None:
        raise NotFoundError(f"no entity {entity_id} in this tenant", field="entity_id")
    return EntityResponse(
        id=entity.id,
        type=entity.type,
        name=entity.name,
        labels=entity.labels,
        properties={key: to_json(value) for key, value in entity.properties.items()},
    )


@router.get(
    "/v1/entities/{entity_id}/neighborhood",
    summary="The entities around one entity, and the relationships between them",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
)
def get_neighborhood(
    entity_id: EntityId,
    caller: TenantDep,
    stack: StackDep,
    depth: Annotated[int, Query(ge=1, le=2, description="Hops from the entity: 1 or 2.")] = 1,
    limit: Annotated[
        int, Query(ge=1, le=MAX_NEIGHBORS, description="At most this many entities besides the center.")
    ] = DEFAULT_NEIGHBORS,
) -> NeighborhoodResponse:
    found = stack.entities.neighborhood(entity_id, caller.tenant_id, depth=depth, limit=limit)
    if found is None:
        raise NotFoundError(f"no entity {entity_id} in this tenant", field="entity_id")
    return NeighborhoodResponse(
        entity=found.center,
        depth=found.depth,
        nodes=found.nodes,
        relationships=[Relationship(from_=link.from_id, to=link.to_id, type=link.type) for link in found.links],
        truncated=found.truncated,
    )
