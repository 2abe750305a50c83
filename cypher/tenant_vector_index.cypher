// A tenant's own vector index (graph/tenant_vectors.py): the same embedding and settings as
// the shared index 'entity' (cypher/vector_index.cypher), over the tenant's label only.
// $label is not a parameter: a label cannot be one in a schema command. The code writes the
// tenant label in (VecT_, for the names index 'n', and 16 hex digits, checked against that pattern first).
CREATE VECTOR INDEX $name IF NOT EXISTS
FOR (m:$label) ON m.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}};
