// Each tenant's entities with an embedding: what graph/tenant_vectors.py's policy decides
// on (which tenants get a vector index of their own). Reads every entity: maintenance only.
MATCH (n:__Entity__)
WHERE n.embedding IS NOT NULL
RETURN n.tenant_id AS tenant, count(*) AS entities
