// Give entities (by id, of one tenant) their tenant label (graph/tenant_vectors.py).
UNWIND $ids AS entity_id
MATCH (n:__Entity__ {id: entity_id})
WHERE n.tenant_id = $tenant
SET n:$($label)
