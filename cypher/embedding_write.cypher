// Store each entity's embedding and the hash of the text it was made from.
// $rows: [{id, embedding, hash, tenant, label, names_label}]; a null embedding and hash remove both (the
// entity has no text to embed, or its text was rejected). `label` is the entity's tenant vector label
// (graph/tenant_vectors.py: VecT_ and a hash of its tenant id), written with every embedding so that a
// tenant's own vector index, when it has one, always holds exactly its embedded entities; `names_label`
// (VecT_n and the hash) is written too on an entity of $named_kinds (people and organizations), for the
// tenant's index over those alone. The row's tenant must be the node's.
UNWIND $rows AS row
MATCH (n:__Entity__ {id: row.id})
SET n.embedding = row.embedding,
    n.embedding_hash = row.hash
WITH n, row
WHERE row.label IS NOT NULL AND row.embedding IS NOT NULL AND n.tenant_id = row.tenant
SET n:$(row.label)
WITH n, row
WHERE row.names_label IS NOT NULL AND any(kind IN labels(n) WHERE kind IN $named_kinds)
SET n:$(row.names_label)
