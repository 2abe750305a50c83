// The vector index over entity embeddings. Its name and label are the ones
// LlamaIndex's Neo4jPropertyGraphStore queries ('entity' on :__Entity__), so
// LlamaIndex's own retrievers work over the mirrored graph.
CREATE VECTOR INDEX entity IF NOT EXISTS
FOR (m:__Entity__) ON m.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}};
