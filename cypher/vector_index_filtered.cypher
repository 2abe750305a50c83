// The same index on Neo4j 2026.01 and later, with tenant_id as an in-index filter
// property: tenant-scoped vector search (SEARCH … WHERE m.tenant_id = $tenant)
// filters inside the index instead of after it. The syntax is Cypher 25's.
CYPHER 25
CREATE VECTOR INDEX entity IF NOT EXISTS
FOR (m:__Entity__) ON m.embedding
WITH [m.tenant_id]
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}};
