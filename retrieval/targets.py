"""A connections target, given as an id or as free text: one entity id, or the reason there is none.

:func:`resolve_target` is the one way the API, the MCP server and the CLI turn "who
connects us to X" into the id of X:

- an id of an entity of the tenant: that entity, if it is a person or an organization
  (any other entity is a :class:`~kgcrm.core.errors.DataError` naming the field);
- anything else is text, resolved to people and organizations of the tenant: no match
  is a :class:`~kgcrm.core.errors.NotFoundError`, several equally likely matches an
  :class:`~kgcrm.core.errors.AmbiguousTargetError` with the candidates.

An id of another tenant is not an id here: it is resolved as text and finds nothing.
"""

from __future__ import annotations

from kgcrm.core.errors import AmbiguousTargetError, NotFoundError, invalid_input
from kgcrm.retrieval.connections import TARGET_TYPES, Resolver
from kgcrm.retrieval.entities import EntityReader

#: Candidates a free-text target is resolved to (the ambiguity is judged among them).
TARGET_CANDIDATES = 5


def resolve_target(
    text: str, tenant_id: str, *, entities: EntityReader, resolver: Resolver, field: str = "target"
) -> str:
    """The id of the person or organization ``text`` names in the tenant (an id, or free text)."""
    entity = entities.entity(text, tenant_id)
    if entity is not None:
        if entity.type not in TARGET_TYPES:
            raise invalid_input(field, f"{entity.type} {text} is not a person or an organization")
        return entity.id
    resolution = resolver.resolve(text, tenant_id, types=list(TARGET_TYPES), limit=TARGET_CANDIDATES)
    if not resolution.candidates:
        raise NotFoundError(f"no person or organization matches '{text[:100]}' in this tenant", field=field)
    if resolution.ambiguous:
        raise AmbiguousTargetError(text, resolution.candidates, field=field)
    return resolution.candidates[0].id
