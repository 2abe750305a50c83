// The vector index 'entity': its properties (on Neo4j 2026.01+ the filter properties
// follow the embedding, e.g. ['embedding', 'tenant_id']), to tell whether it can filter
// by tenant inside the index (retrieval/vector_strategy.py).
SHOW VECTOR INDEXES YIELD name, properties
WHERE name = 'entity'
RETURN properties
