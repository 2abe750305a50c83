"""Typed results of retrieval, shared by every retriever and by the API.

An entity reference is ``{id, type, name}``: ``id`` is the relational row id, so
answers join back to the CRM; ``type`` is the graph label (Person, Organization,
Contact, Account, Lead, Task, Note, Interaction, User).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EntityType = Literal["Person", "Organization", "Contact", "Account", "Lead", "Task", "Note", "Interaction", "User"]
ENTITY_TYPES: tuple[str, ...] = EntityType.__args__  # type: ignore[attr-defined]


class EntityRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    name: str | None = None


class Candidate(EntityRef):
    """A resolved entity, with a calibrated score in 0..1 and the reasons in words."""

    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(default_factory=list)


class Resolution(BaseModel):
    text: str
    candidates: list[Candidate]
    ambiguous: bool

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class RowEvidence(BaseModel):
    """A relational row behind a claim: a relationship row, an interaction, a contact."""

    table: str
    id: str
    summary: str | None = None
    updated_at: str | None = None


class Hop(BaseModel):
    from_: str = Field(alias="from")
    to: str
    relation: str  # KNOWS | INTERACTED | COWORKER | WORKS_AT
    strength: float = Field(ge=0.0, le=1.0)
    evidence: list[RowEvidence | EntityRef] = Field(default_factory=list)

    model_config = ConfigDict(populate_by_name=True)


class IntroPath(BaseModel):
    score: float = Field(ge=0.0, le=1.0)
    from_user: EntityRef
    nodes: list[EntityRef]
    hops: list[Hop]
    explanation: str


class Connections(BaseModel):
    target: EntityRef
    paths: list[IntroPath]


class SourceRow(EntityRef):
    """Provenance of an answer: a row it was computed from."""

    table: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class Answer(BaseModel):
    answer: str
    data: Any = None
    cypher: str | None = None
    sources: list[SourceRow] = Field(default_factory=list)
    method: str  # semantic_layer | connections | text2cypher | semantic | clarification
    focus: EntityRef | None = None  # the entity the question was about (for follow-up questions)
    interpretation: str | None = None  # the structured query in one plain sentence (semantic layer)
    unapplied: list[str] = Field(default_factory=list)  # phrases of the question that were not used
    query: dict[str, Any] | None = None  # the structured query, as JSON (semantic layer)
