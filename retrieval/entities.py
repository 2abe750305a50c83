"""One entity of a tenant, and the entities around it: the reads behind ``/v1/entities``.

:class:`EntityReader` reads through the gateway, inside one tenant: an id of another
tenant, of a node that is not an entity (a status), or a made-up one is ``None``, the
same answer whatever the reason. The neighbourhood only walks through, and only shows,
entities of the tenant (``cypher/api_entity.cypher``, ``cypher/api_neighborhood.cypher``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kgcrm import cypher
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.types import ENTITY_TYPES, EntityRef

#: Properties that stay in the graph: the embedding is large and means nothing to a reader.
HIDDEN_PROPERTIES = ("embedding", "embedding_hash")

#: The label every entity node has, besides its own.
ENTITY_LABEL = "__Entity__"


def entity_type(labels: Sequence[str]) -> str:
    """The type of a node: its first label among the entity types (Lead before Opportunity)."""
    for candidate in ENTITY_TYPES:
        if candidate in labels:
            return candidate
    return next((label for label in labels if label != ENTITY_LABEL), "Entity")


@dataclass(frozen=True)
class Entity:
    """An entity node: its type, its labels (without ``__Entity__``) and its properties, as Neo4j gives them."""

    id: str
    type: str
    name: str | None
    labels: list[str]
    properties: dict[str, Any]


@dataclass(frozen=True)
class Link:
    """A relationship between two entities of a neighbourhood."""

    from_id: str
    to_id: str
    type: str


@dataclass(frozen=True)
class Neighborhood:
    """The entities within ``depth`` hops of ``center`` (at most ``limit`` besides it) and the links among them."""

    center: EntityRef
    depth: int
    nodes: list[EntityRef]  # the center first
    links: list[Link]
    truncated: bool  # more entities were within reach than shown


class EntityReader:
    """Entities and neighbourhoods of one tenant, by id."""

    def __init__(self, gateway: GraphGateway) -> None:
        self.gateway = gateway

    def entity(self, entity_id: str, tenant_id: str) -> Entity | None:
        """The entity with this id in the tenant; ``None`` when there is none."""
        rows = self.gateway.read(
            "api_entity",
            cypher.load("api_entity"),
            {"id": entity_id, "tenant": tenant_id, "hidden": list(HIDDEN_PROPERTIES)},
        )
        if not rows:
            return None
        row = rows[0]
        labels = [label for label in row["labels"] if label != ENTITY_LABEL]
        return Entity(
            id=row["id"],
            type=entity_type(labels),
            name=row["name"],
            labels=labels,
            properties=dict(sorted((key, value) for key, value in row["properties"])),
        )

    def neighborhood(self, entity_id: str, tenant_id: str, *, depth: int, limit: int) -> Neighborhood | None:
        """The entities within ``depth`` (1 or 2) hops, at most ``limit`` of them; ``None`` for no such entity."""
        rows = self.gateway.read(
            "api_neighborhood",
            cypher.load("api_neighborhood"),
            {
                "id": entity_id,
                "tenant": tenant_id,
                "depth": depth,
                "limit": limit + 1,  # one more than shown: tells whether the answer was cut
                "max_relationships": 20 * (limit + 1),
            },
        )
        if not rows:
            return None
        row = rows[0]
        refs = [EntityRef(id=n["id"], type=entity_type(n["labels"]), name=n["name"]) for n in row["nodes"]]
        center, neighbors = refs[0], refs[1:]
        nodes = [center, *neighbors[:limit]]
        kept = {n.id for n in nodes}
        links = [
            Link(from_id=r["from"], to_id=r["to"], type=r["type"])
            for r in row["relationships"]
            if r["from"] in kept and r["to"] in kept
        ]
        return Neighborhood(center=center, depth=depth, nodes=nodes, links=links, truncated=len(neighbors) > limit)
