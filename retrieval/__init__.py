"""Answers over the graph: entity resolution, warm-introduction paths, GraphRAG (LlamaIndex)."""
