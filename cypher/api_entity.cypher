// GET /v1/entities/{id}: one entity of one tenant, by its relational row id.
// Another tenant's id, or the id of a node that is not an entity, returns nothing.
// The embedding (and its hash) stay in the graph: $hidden names them.
MATCH (n:__Entity__ {id: $id})
WHERE n.tenant_id = $tenant
RETURN n.id AS id,
       [l IN labels(n) WHERE NOT l STARTS WITH 'VecT_'] AS labels,
       n.name AS name,
       [key IN keys(n) WHERE NOT key IN $hidden | [key, n[key]]] AS properties
