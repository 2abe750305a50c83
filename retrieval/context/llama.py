"""A context pack as a LlamaIndex retriever: one node per item, in the pack's order, within its budget.

A LlamaIndex retriever sees only the query text, so the tenant (and, optionally, the entity) are bound
when it is made: ``ContextPackRetriever(builder, tenant_id, about="Acme")`` packs Acme for each query
(the query is the pack's question); without ``about`` the query names the entity (and is not a question).
Each node's text is the item's line; its metadata says the section and cites the source rows.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from kgcrm.core.errors import AmbiguousTargetError, KgcrmError, NotFoundError
from kgcrm.retrieval.context.builder import DEFAULT_BUDGET, ContextBuilder
from kgcrm.retrieval.context.pack import ContextPack

_HIDDEN = ["sources", "entity_id", "tokens"]  # provenance: kept on the node, not shown to an LLM or embedded


class ContextPackRetriever(BaseRetriever):
    """:meth:`ContextBuilder.build` as a LlamaIndex retriever bound to one tenant."""

    def __init__(
        self,
        builder: ContextBuilder,
        tenant_id: str,
        *,
        about: str | None = None,
        budget_tokens: int = DEFAULT_BUDGET,
        from_user: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not tenant_id:
            raise KgcrmError("ContextPackRetriever: tenant_id is required")
        super().__init__(**kwargs)
        self.builder = builder
        self.tenant_id = tenant_id
        self.about = about
        self.budget_tokens = budget_tokens
        self.from_user = from_user

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = query_bundle.query_str
        about, question = (self.about, query) if self.about else (query, None)
        try:
            pack = self.builder.build(
                about, self.tenant_id, budget_tokens=self.budget_tokens, question=question, from_user=self.from_user
            )
        except NotFoundError:
            return []
        except AmbiguousTargetError as error:
            names = ", ".join(f"{c.name} ({c.type}, id {c.id})" for c in error.candidates)
            return [NodeWithScore(node=TextNode(text=f"'{about}' may be any of: {names}."), score=0.0)]
        return pack_nodes(pack)


def pack_nodes(pack: ContextPack) -> list[NodeWithScore]:
    """The items of a pack as nodes, section by section (the text's order), scored by their rank."""
    nodes = []
    for section in pack.sections:
        for rank, item in enumerate(section.items):
            metadata = {
                "about": pack.about.name or pack.about.id,
                "section": section.title,
                "entity_id": pack.about.id,
                "sources": [f"{s.table}:{s.id}@{s.updated_at or ''}" for s in item.sources],
                "tokens": item.tokens,
            }
            node = TextNode(
                id_=f"context:{pack.about.id}:{section.name}:{rank}",
                text=item.text,
                metadata=metadata,
                excluded_llm_metadata_keys=_HIDDEN,
                excluded_embed_metadata_keys=_HIDDEN,
            )
            nodes.append(NodeWithScore(node=node, score=item.score))
    return nodes
