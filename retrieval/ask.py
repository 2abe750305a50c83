"""``ask(question, tenant)``: one pipeline over every retriever, templates first.

Order: relationship questions ("who connects us to X", "who at X do we know",
"how well do we know X") → exact templates (deals, tasks, interactions,
contacts, notes) → text-to-Cypher when an LLM is configured → semantic search.
Every step runs inside the caller's tenant.

Conversations: with a ``conversation_id``, a follow-up such as "and who at that
company do we know?" refers to the entity of an earlier turn: references
("that company", "them", "that person", "that deal") are replaced by the
entity's name, and that name resolves to that very entity.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kgcrm.core.errors import KgcrmError
from kgcrm.retrieval.semantic import SemanticSearch
from kgcrm.retrieval.templates import Resolver, TemplateAnswerer, unresolved_answer
from kgcrm.retrieval.types import Answer, Candidate, EntityRef, Resolution

_REFERENCES: tuple[tuple[str, str], ...] = (
    (r"\b(?:that|this|the same|the)\s+(?:company|organi[sz]ation|org|firm|account|business)\b", "Organization"),
    (r"\b(?:that|this|the same)\s+(?:person|contact|guy|woman|man)\b", "Person"),
    (r"\b(?:that|this|the same)\s+(?:deal|opportunity|lead)\b", "Lead"),
    (r"\b(?:them|they|there)\b", "Organization"),
    (r"\b(?:him|her|he|she)\b", "Person"),
)

_CONNECTION_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bwho (?:at|in) (?P<x>.+?) do (?:we|i) know\b", "who_we_know_at"),
    (r"\bwho do (?:we|i) know (?:at|in) (?P<x>.+)", "who_we_know_at"),
    (r"\bhow well do (?:we|i) know (?P<x>.+)", "how_well"),
    (r"\bwho (?:can )?(?:connects?|introduces?|intros?) (?:us|me) to (?P<x>.+)", "connections"),
    (r"\b(?:warm )?(?:intro(?:duction)?s?|paths?|connections?|way in) (?:to|into) (?P<x>.+)", "connections"),
    (r"\bhow (?:can|do|could) (?:we|i) (?:get|reach|meet) (?:to |an intro to )?(?P<x>.+)", "connections"),
)


class ConnectionsService(Protocol):
    def connections(
        self, target_id: str, tenant_id: str, from_user: str | None = None, max_hops: int = 4, limit: int = 5
    ) -> Any: ...

    def who_we_know_at(self, org_id: str, tenant_id: str) -> Any: ...

    def how_well_do_we_know(self, target_id: str, tenant_id: str) -> Any: ...


class Text2Cypher(Protocol):
    def answer(self, question: str, tenant_id: str) -> Answer: ...


def relationship_question(question: str) -> tuple[str, str] | None:
    """``(kind, mention)`` when ``question`` asks about relationships: ``connections`` ("who connects us
    to X"), ``who_we_know_at`` ("who at X do we know") or ``how_well`` ("how well do we know X")."""
    for pattern, kind in _CONNECTION_PATTERNS:
        m = re.search(pattern, question, flags=re.IGNORECASE)
        if m:
            return kind, re.sub(r"^(the|our)\s+", "", m.group("x").strip(" ?.!'\""), flags=re.IGNORECASE)
    return None


@dataclass
class _Turn:
    focus: dict[str, EntityRef] = field(default_factory=dict)  # type → the latest entity of that type


class Conversations:
    """Recent focus entities per (tenant, conversation); bounded, in memory."""

    def __init__(self, max_conversations: int = 10_000) -> None:
        self._turns: OrderedDict[tuple[str, str], _Turn] = OrderedDict()
        self._max = max_conversations
        self._lock = threading.Lock()

    def focus(self, tenant_id: str, conversation_id: str) -> dict[str, EntityRef]:
        with self._lock:
            turn = self._turns.get((tenant_id, conversation_id))
            return dict(turn.focus) if turn else {}

    def remember(self, tenant_id: str, conversation_id: str, entity: EntityRef) -> None:
        with self._lock:
            key = (tenant_id, conversation_id)
            turn = self._turns.pop(key, None) or _Turn()
            turn.focus[_kind(entity.type)] = entity
            self._turns[key] = turn
            while len(self._turns) > self._max:
                self._turns.popitem(last=False)


def _kind(entity_type: str) -> str:
    return {"Contact": "Person", "User": "Person", "Account": "Organization"}.get(entity_type, entity_type)


def rewrite_references(question: str, focus: dict[str, EntityRef]) -> tuple[str, dict[str, EntityRef]]:
    """Replace references to earlier entities by their names; returns the pinned names."""
    pinned: dict[str, EntityRef] = {}
    for pattern, kind in _REFERENCES:
        entity = focus.get(kind)
        if entity is None or not entity.name:
            continue
        if re.search(pattern, question, flags=re.IGNORECASE):
            question = re.sub(pattern, entity.name, question, count=1, flags=re.IGNORECASE)
            pinned[entity.name.lower()] = entity
    return question, pinned


class _PinnedResolver:
    """Resolves the names a conversation pinned to their entities, anything else as usual."""

    def __init__(self, inner: Resolver, pinned: dict[str, EntityRef]) -> None:
        self.inner = inner
        self.pinned = pinned

    def resolve(self, text: str, tenant_id: str, types: list[str] | None = None, limit: int = 5) -> Resolution:
        entity = self.pinned.get(text.strip().lower())
        if entity is not None and (types is None or entity.type in types):
            candidate = Candidate(**entity.model_dump(), score=1.0, reasons=["named earlier in this conversation"])
            return Resolution(text=text, candidates=[candidate], ambiguous=False)
        return self.inner.resolve(text, tenant_id, types=types, limit=limit)


class AskPipeline:
    def __init__(
        self,
        *,
        gateway: Any,
        resolver: Resolver,
        semantic: SemanticSearch,
        clock: Callable[[], datetime],
        connections: ConnectionsService | None = None,
        text2cypher: Text2Cypher | None = None,
        conversations: Conversations | None = None,
    ) -> None:
        self.gateway = gateway
        self.resolver = resolver
        self.semantic = semantic
        self.clock = clock
        self.connections = connections
        self.text2cypher = text2cypher
        self.conversations = conversations or Conversations()

    def ask(self, question: str, tenant_id: str, conversation_id: str | None = None) -> Answer:
        question = " ".join(question.split())
        pinned: dict[str, EntityRef] = {}
        if conversation_id:
            question, pinned = rewrite_references(question, self.conversations.focus(tenant_id, conversation_id))
        resolver = _PinnedResolver(self.resolver, pinned) if pinned else self.resolver
        answer = self._answer(question, tenant_id, resolver)
        if conversation_id and answer.focus is not None:
            self.conversations.remember(tenant_id, conversation_id, answer.focus)
        return answer

    def _answer(self, question: str, tenant_id: str, resolver: Resolver) -> Answer:
        if self.connections is not None:
            answer = self._relationship_answer(question, tenant_id, resolver)
            if answer is not None:
                return answer
        templates = TemplateAnswerer(self.gateway, resolver, self.clock)
        answer = templates.answer(question, tenant_id)
        if answer is not None:
            return answer
        if self.text2cypher is not None:
            try:
                return self.text2cypher.answer(question, tenant_id)
            except KgcrmError:
                pass  # refused or failed twice: fall back to search, which is always safe
        return self.semantic.answer(question, tenant_id)

    def _relationship_answer(self, question: str, tenant_id: str, resolver: Resolver) -> Answer | None:
        assert self.connections is not None
        asked = relationship_question(question)
        if asked is None:
            return None
        kind, mention = asked
        types = ["Organization"] if kind == "who_we_know_at" else ["Person", "Organization"]
        resolution = resolver.resolve(mention, tenant_id, types=types, limit=5)
        unresolved = unresolved_answer(mention, resolution, method="connections")
        if unresolved is not None:
            return unresolved
        target = resolution.candidates[0]
        focus = EntityRef(id=target.id, type=target.type, name=target.name)
        if kind == "connections":
            result = self.connections.connections(target.id, tenant_id)
            paths = result.paths
            text = f"{len(paths)} warm path{'s' if len(paths) != 1 else ''} to {target.name}. " + (
                f"Strongest: {paths[0].explanation}" if paths else "No one on the team is connected yet."
            )
            return Answer(answer=text, data=result.model_dump(by_alias=True), method="connections", focus=focus)
        if kind == "who_we_know_at":
            result = self.connections.who_we_know_at(target.id, tenant_id)
        else:
            result = self.connections.how_well_do_we_know(target.id, tenant_id)
        data = result.model_dump(by_alias=True) if hasattr(result, "model_dump") else result
        summary = getattr(result, "summary", None) or getattr(result, "explanation", None)
        text = summary if isinstance(summary, str) else f"Here is what links us to {target.name}."
        return Answer(answer=text, data=data, method="connections", focus=focus)
