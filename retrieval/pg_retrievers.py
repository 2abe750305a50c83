"""kgcrm's retrieval as LlamaIndex property-graph sub-retrievers, composed by a ``PropertyGraphIndex``.

Each capability is a small ``CustomPGRetriever`` bound to one tenant when it is made
(a LlamaIndex retriever sees only the query text, so the tenant cannot come from it):

- :class:`AskRetriever`: the whole ``ask`` pipeline (relationship questions, exact
  templates, guarded text-to-Cypher when an LLM is configured, semantic search), one node
  with the answer, its Cypher and its source rows;
- :class:`ResolutionRetriever`: the entities a mention may name, one node each, scored;
- :class:`ConnectionsRetriever`: warm-introduction paths to the entity the text names;
- :class:`TenantVectorRetriever`: the tenant's nearest entities by embedding.

:func:`kgcrm_pg_retriever` composes them over LlamaIndex's own ``PropertyGraphIndex`` on the
``Neo4jPropertyGraphStore`` of the mirrored graph: the ``PGRetriever`` it returns plugs into
any LlamaIndex query engine or agent (a ``RetrieverQueryEngine`` with a configured LLM writes
the answer in prose from these nodes). LlamaIndex's default sub-retrievers are not used: they
know no tenants (``LLMSynonymRetriever`` looks entities up by id across the whole graph).

Nothing here connects or loads a model: the store, the stack and the models are passed in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.indices.property_graph import CustomPGRetriever, PGRetriever, PropertyGraphIndex
from llama_index.core.llms import LLM
from llama_index.core.llms.mock import MockLLM
from llama_index.core.schema import NodeWithScore, TextNode

from kgcrm.core.errors import KgcrmError, NotFoundError
from kgcrm.retrieval.ask import relationship_question
from kgcrm.retrieval.connections import AmbiguousTargetError
from kgcrm.retrieval.types import Answer

_HIDDEN = ["cypher", "sources", "entity_id"]  # provenance: kept on the node, not shown to an LLM or embedded


def _node(text: str, metadata: dict[str, Any], score: float) -> NodeWithScore:
    node = TextNode(
        text=text, metadata=metadata, excluded_llm_metadata_keys=_HIDDEN, excluded_embed_metadata_keys=_HIDDEN
    )
    return NodeWithScore(node=node, score=score)


def answer_node(answer: Answer, score: float = 1.0) -> NodeWithScore:
    """An :class:`Answer` as a LlamaIndex node: the text (and rows), with its provenance as metadata."""
    text = answer.answer
    if answer.method in ("template", "text2cypher") and answer.data:
        text += "\n\nData: " + json.dumps(answer.data, default=str, ensure_ascii=False)[:4000]
    sources = [f"{s.table or s.type}:{s.id}" for s in answer.sources]
    return _node(text, {"method": answer.method, "cypher": answer.cypher or "", "sources": sources}, score)


class _TenantRetriever(CustomPGRetriever):
    """A sub-retriever bound to one tenant and given the kgcrm component it adapts."""

    def init(self, *, tenant_id: str, component: Any, **options: Any) -> None:  # type: ignore[override]
        if not tenant_id:
            raise KgcrmError(f"{type(self).__name__}: tenant_id is required")
        self.tenant_id = tenant_id
        self.component = component
        self.options = options


class AskRetriever(_TenantRetriever):
    """``AskPipeline.ask`` as a sub-retriever: one node with the answer (none for a clarifying question)."""

    def custom_retrieve(self, query_str: str) -> list[NodeWithScore]:
        answer = self.component.ask(query_str, self.tenant_id)
        return [] if answer.method == "clarification" else [answer_node(answer)]


class ResolutionRetriever(_TenantRetriever):
    """``EntityResolver.resolve``: the candidates, scored by their calibrated score, with their reasons."""

    def custom_retrieve(self, query_str: str) -> list[NodeWithScore]:
        resolution = self.component.resolve(query_str, self.tenant_id, types=self.options.get("types"))
        return [
            _node(
                f"{c.type} {c.name or c.id}: " + "; ".join(c.reasons),
                {"entity_id": c.id, "type": c.type, "ambiguous": resolution.ambiguous},
                c.score,
            )
            for c in resolution.candidates
        ]


class ConnectionsRetriever(_TenantRetriever):
    """``ConnectionFinder.connections_for_text``: one node per warm path, scored by the path's strength."""

    def custom_retrieve(self, query_str: str) -> list[NodeWithScore]:
        asked = relationship_question(query_str)
        target = asked[1] if asked is not None else query_str
        try:
            result = self.component.connections_for_text(target, self.tenant_id)
        except NotFoundError:
            return []
        except AmbiguousTargetError as error:
            names = ", ".join(f"{c.name} ({c.type})" for c in error.candidates)
            return [NodeWithScore(node=TextNode(text=f"'{target}' may be any of: {names}."), score=0.0)]
        target = {"target": result.target.name or result.target.id, "entity_id": result.target.id}
        return [
            _node(path.explanation, target | {"sources": [e.id for hop in path.hops for e in hop.evidence]}, path.score)
            for path in result.paths
        ]


class TenantVectorRetriever(_TenantRetriever):
    """``SemanticSearch.search`` (vector and fulltext, fused) inside the tenant: one node per entity."""

    def custom_retrieve(self, query_str: str) -> list[NodeWithScore]:
        hits = self.component.search(query_str, self.tenant_id, limit=self.options.get("limit", 5))
        return [
            _node(
                f"{h.type} {h.name or h.id}" + (f": {h.snippet}" if h.snippet else ""),
                {"entity_id": h.id, "type": h.type},
                h.score,
            )
            for h in hits
        ]


def kgcrm_index(store: Any, *, embed_model: Any = None, llm: LLM | None = None) -> PropertyGraphIndex:
    """LlamaIndex's ``PropertyGraphIndex`` over the mirrored graph (``Neo4jPropertyGraphStore``).

    Nothing is inserted or extracted: the sync owns the graph. Without an LLM, LlamaIndex gets a
    ``MockLLM`` placeholder so that it never reaches for a network default."""
    return PropertyGraphIndex.from_existing(
        property_graph_store=store,
        llm=llm or MockLLM(),
        kg_extractors=[],
        embed_model=embed_model,
        embed_kg_nodes=False,
        use_async=False,
    )


def kgcrm_pg_retriever(
    index: PropertyGraphIndex,
    stack: Any,
    tenant_id: str,
    *,
    parts: Sequence[str] = ("ask",),
) -> PGRetriever:
    """kgcrm's sub-retrievers for one tenant, composed by ``index.as_retriever``.

    ``parts``: any of ``ask``, ``resolve``, ``connections``, ``search`` (in that order of results);
    ``stack`` is a :class:`kgcrm.retrieval.stack.RetrievalStack`."""
    makers = {
        "ask": lambda: AskRetriever(index.property_graph_store, tenant_id=tenant_id, component=stack.ask),
        "resolve": lambda: ResolutionRetriever(
            index.property_graph_store, tenant_id=tenant_id, component=stack.resolver
        ),
        "connections": lambda: ConnectionsRetriever(
            index.property_graph_store, tenant_id=tenant_id, component=stack.connections
        ),
        "search": lambda: TenantVectorRetriever(
            index.property_graph_store, tenant_id=tenant_id, component=stack.search
        ),
    }
    unknown = [p for p in parts if p not in makers]
    if unknown or not parts:
        raise KgcrmError(f"kgcrm_pg_retriever: parts must be among {sorted(makers)}, got {list(parts)}")
    retriever = index.as_retriever(sub_retrievers=[makers[p]() for p in parts], include_text=False)
    assert isinstance(retriever, PGRetriever)
    retriever.use_async = False  # the sub-retrievers are synchronous; no event loop of their own
    return retriever
