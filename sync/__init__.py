"""Mirrors the relational CRM into the Neo4j graph (get → transform → load → cleanup)."""
