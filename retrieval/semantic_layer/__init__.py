"""The semantic layer: every everyday CRM question compiled to one exact, parameterised Cypher query.

``model.py`` declares what can be asked; ``query.py`` the :class:`StructuredQuery` any question
compiles to (by ``parser.py``, deterministically, or by an LLM through function calling);
``compiler.py`` turns it into Cypher; ``answer.py`` runs it and says what it computed.
:class:`SemanticLayer` puts them together for :mod:`kgcrm.retrieval.ask`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kgcrm.core.errors import QueryError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.semantic_layer.answer import METHOD, interpret, run_query
from kgcrm.retrieval.semantic_layer.parser import Parsed, parse
from kgcrm.retrieval.semantic_layer.query import StructuredQuery, validate_query
from kgcrm.retrieval.types import Answer, EntityRef

__all__ = ["METHOD", "QueryError", "SemanticLayer", "StructuredQuery", "interpret", "validate_query"]


@dataclass
class SemanticLayer:
    """Questions → structured queries → one Cypher query each, inside the caller's tenant."""

    gateway: GraphGateway
    clock: Callable[[], datetime]
    resolver: Any | None = None  # retrieval.resolve.EntityResolver (names of organizations and people)
    values: Any | None = None  # retrieval.semantic_layer.values.ValueIndexCache (the tenant's own values)

    def parse(
        self,
        question: str,
        tenant_id: str,
        *,
        user_id: str | None = None,
        previous: StructuredQuery | None = None,
        resolver: Any | None = None,
    ) -> Parsed:
        linker = self.values.get(tenant_id) if self.values is not None else None
        return parse(
            question,
            now=self.clock(),
            values=linker,
            resolver=resolver or self.resolver,
            tenant_id=tenant_id,
            user_id=user_id,
            previous=previous,
        )

    def run(self, query: StructuredQuery, tenant_id: str, *, unapplied: list[str] | None = None) -> Answer:
        return run_query(self.gateway, query, tenant_id, unapplied=unapplied)

    def answer(self, parsed: Parsed, tenant_id: str) -> Answer | None:
        """The answer of a parsed question; None when it named nothing the model knows."""
        if parsed.clarification is not None:
            names = "; ".join(f"{c.name} ({c.type})" for c in parsed.clarification.candidates[:5])
            return Answer(
                answer=f"“{parsed.mention}” could be several: {names}. Which one?",
                data={"candidates": [c.model_dump() for c in parsed.clarification.candidates]},
                method="clarification",
                unapplied=[parsed.mention] if parsed.mention else [],
                query=parsed.query.model_dump(mode="json") if parsed.query else None,
                interpretation=interpret(parsed.query) if parsed.query else None,
            )
        if parsed.query is None:
            return None
        answer = self.run(parsed.query, tenant_id, unapplied=parsed.unapplied)
        if parsed.focus is not None:
            f = parsed.focus
            answer.focus = EntityRef(id=f.id, type=f.type, name=f.name)
        return answer
