"""``GET /v1/entities/{id}`` and ``GET /v1/entities/{id}/neighborhood``.

An id that is not an entity of the caller's tenant (another tenant's, a status, a
made-up one) is 404, the same answer whatever the reason: the caller cannot tell
another tenant's ids from ids that do not exist. The neighbourhood only walks
through, and only shows, entities of the caller's tenant.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from kgcrm import cypher
from kgcrm.api.deps import GatewayDep, TenantDep
from kgcrm.api.errors import not_found
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
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.types import ENTITY_TYPES, EntityRef

router = APIRouter(tags=["entities"])

#: Properties that stay in the graph: the embedding is large and means nothing to a reader.
HIDDEN_PROPERTIES = ("embedding", "embedding_hash")

EntityId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_ID,
        description="The entity's relational row id.",
        examples=["6f1c1d9e-8a63-4a41-9d1e-0b7c2f3a4d5e"],
    ),
]


def entity_type(labels: list[str]) -> str:
    """The contract's type of a node: its first label among the entity types (Lead before Opportunity)."""
    for candidate in ENTITY_TYPES:
        if candidate in labels:
            return candidate
    return next((label for label in labels if label != "__Entity__"), "Entity")


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


def find_entity(gateway: GraphGateway, entity_id: str, tenant_id: str) -> dict[str, Any] | None:
    rows = gateway.read(
        "api_entity",
        cypher.load("api_entity"),
        {"id": entity_id, "tenant": tenant_id, "hidden": list(HIDDEN_PROPERTIES)},
    )
    return rows[0] if rows else None


@router.get(
    "/v1/entities/{entity_id}",
    summary="One entity of the tenant, with its properties",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
)
def get_entity(entity_id: EntityId, caller: TenantDep, gateway: GatewayDep) -> EntityResponse:
    row = find_entity(gateway, entity_id, caller.tenant_id)
    if row is None:
        raise not_found(f"no entity {entity_id} in this tenant", field="entity_id")
    labels = [label for label in row["labels"] if label != "__Entity__"]
    return EntityResponse(
        id=row["id"],
        type=entity_type(labels),
        name=row["name"],
        labels=labels,
        properties={key: to_json(value) for key, value in sorted(row["properties"])},
    )


@router.get(
    "/v1/entities/{entity_id}/neighborhood",
    summary="The entities around one entity, and the relationships between them",
    responses={**COMMON_ERRORS, 404: NOT_FOUND},
)
def get_neighborhood(
    entity_id: EntityId,
    caller: TenantDep,
    gateway: GatewayDep,
    depth: Annotated[int, Query(ge=1, le=2, description="Hops from the entity: 1 or 2.")] = 1,
    limit: Annotated[
        int, Query(ge=1, le=MAX_NEIGHBORS, description="At most this many entities besides the center.")
    ] = DEFAULT_NEIGHBORS,
) -> NeighborhoodResponse:
    rows = gateway.read(
        "api_neighborhood",
        cypher.load("api_neighborhood"),
        {
            "id": entity_id,
            "tenant": caller.tenant_id,
            "depth": depth,
            "limit": limit + 1,  # one more than shown: tells whether the answer was cut
            "max_relationships": 20 * (limit + 1),
        },
    )
    if not rows:
        raise not_found(f"no entity {entity_id} in this tenant", field="entity_id")
    row = rows[0]
    refs = [EntityRef(id=n["id"], type=entity_type(n["labels"]), name=n["name"]) for n in row["nodes"]]
    center, neighbors = refs[0], refs[1:]
    truncated = len(neighbors) > limit
    nodes = [center, *neighbors[:limit]]
    kept = {n.id for n in nodes}
    relationships = [
        Relationship(from_=r["from"], to=r["to"], type=r["type"])
        for r in row["relationships"]
        if r["from"] in kept and r["to"] in kept
    ]
    return NeighborhoodResponse(
        entity=center, depth=depth, nodes=nodes, relationships=relationships, truncated=truncated
    )
