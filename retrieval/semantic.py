"""Semantic search over entity and note text, tenant-filtered inside the query.

Hybrid: the vector index (meaning) and the fulltext indexes (exact words and
names) each rank candidates inside the caller's tenant; reciprocal-rank fusion
merges them. Used for ``/v1/search`` and as the fallback of ``ask``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kgcrm import cypher
from kgcrm.core.errors import KgcrmError
from kgcrm.graph.gateway import GraphGateway
from kgcrm.retrieval.lucene import lucene_escape
from kgcrm.retrieval.types import ENTITY_TYPES, Answer, SourceRow
from kgcrm.retrieval.vector_strategy import TenantVectorSearch

Embed = Callable[[str], Sequence[float]]

_RRF_K = 60


def lucene_terms(text: str) -> str:
    """User text as a safe Lucene query: every term escaped, OR-ed (no syntax from the user)."""
    words = re.findall(r"\w[\w.@'-]*", text, flags=re.UNICODE)
    escaped = [lucene_escape(w) for w in words if w.lower() not in {"and", "or", "not", "to"}]
    return " ".join(escaped)


@dataclass(frozen=True)
class SearchHit:
    id: str
    type: str
    name: str | None
    score: float
    snippet: str | None
    updated_at: Any = None
    updated_by: str | None = None


class SemanticSearch:
    def __init__(
        self,
        gateway: GraphGateway,
        embed: Embed | None,
        *,
        max_fetch: int = 4000,
        vectors: TenantVectorSearch | None = None,
    ) -> None:
        self.gateway = gateway
        self.embed = embed
        self.max_fetch = max_fetch
        # exact scan, ANN with adaptive over-fetch or the in-index filter, per tenant (vector_strategy)
        self.vectors = vectors or TenantVectorSearch(gateway, max_fetch=max_fetch)

    def search(
        self, text: str, tenant_id: str, *, types: Sequence[str] | None = None, limit: int = 10
    ) -> list[SearchHit]:
        labels = [t for t in types if t in ENTITY_TYPES] if types else None
        ranked: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        vector = self.nearest(text, tenant_id, types=labels, limit=limit) if self.embed is not None else []
        for rows in (vector, self._fulltext(text, tenant_id, labels, limit)):
            for rank, row in enumerate(rows):
                ranked.setdefault(row["id"], []).append((rank, row))
        fused = []
        for hits in ranked.values():
            score = sum(1.0 / (_RRF_K + rank + 1) for rank, _ in hits)
            fused.append((score, hits[0][1]))
        fused.sort(key=lambda item: (-item[0], item[1]["id"]))
        best = fused[0][0] if fused else 1.0
        return [
            SearchHit(
                id=row["id"],
                type=row["type"],
                name=row["name"],
                score=round(score / best, 4),
                snippet=_snippet(row["text"]),
                updated_at=row["updated_at"],
                updated_by=row["updated_by"],
            )
            for score, row in fused[:limit]
        ]

    def answer(self, question: str, tenant_id: str, *, limit: int = 5) -> Answer:
        hits = self.search(question, tenant_id, limit=limit)
        if not hits:
            return Answer(answer="I found nothing relevant.", data=[], method="semantic")
        lines = "; ".join(f"{h.name} ({h.type})" + (f": {h.snippet}" if h.snippet else "") for h in hits[:3])
        return Answer(
            answer=f"Most relevant: {lines}",
            data=[h.__dict__ | {"updated_at": _iso(h.updated_at)} for h in hits],
            cypher=cypher.load("search_vector") if self.embed else cypher.load("search_fulltext"),
            sources=[
                SourceRow(id=h.id, type=h.type, name=h.name, updated_at=_iso(h.updated_at), updated_by=h.updated_by)
                for h in hits
            ],
            method="semantic",
        )

    def nearest(
        self, text: str, tenant_id: str, *, types: Sequence[str] | None = None, limit: int = 10
    ) -> list[dict[str, Any]]:
        """The entities of one tenant nearest to ``text`` by embedding, nearest first.

        The strategy (exact scan, the index with adaptive over-fetch, or the in-index filter)
        is chosen per tenant by :class:`~kgcrm.retrieval.vector_strategy.TenantVectorSearch`."""
        if self.embed is None:
            raise KgcrmError("SemanticSearch.nearest needs an embedding function (pass embed=...)")
        labels = [t for t in types if t in ENTITY_TYPES] if types else None
        return self.vectors.nearest(list(self.embed(text)), tenant_id, labels=labels, limit=limit)

    def _fulltext(self, text: str, tenant_id: str, labels: list[str] | None, limit: int) -> list[dict[str, Any]]:
        query = lucene_terms(text)
        if not query:
            return []
        return self.gateway.read(
            "search_fulltext",
            cypher.load("search_fulltext"),
            {"query": query, "fetch": max(100, limit * 20), "tenant": tenant_id, "labels": labels, "limit": limit},
        )


def _snippet(text: str | None, length: int = 160) -> str | None:
    if not text:
        return None
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.to_native().isoformat() if hasattr(value, "to_native") else str(value)
