// Entity resolution: what the scorer needs to know about each candidate, in one tenant.
// $ids: candidate entity ids (from the lookups); $types: the labels asked for.
// Traversals are bounded by one candidate's own relationships.
UNWIND $ids AS entity_id
MATCH (n:__Entity__ {id: entity_id})
WHERE n.tenant_id = $tenant
WITH n, [label IN labels(n) WHERE label IN $types] AS types
WHERE size(types) > 0
RETURN n.id AS id,
       types[0] AS type,
       n.name AS name,
       n.first_name AS first_name,
       n.last_name AS last_name,
       n.full_name AS full_name,
       n.email AS email,
       n.phone AS phone,
       n.location AS location,
       n.domain AS domain,
       n.industry AS industry,
       n.description AS description,
       n.title AS title,
       CASE WHEN n:Person THEN COLLECT {
         MATCH (n)-[w:WORKS_AT]->(o:Organization)
         WHERE o.tenant_id = $tenant
         RETURN {id: o.id, name: o.name, current: coalesce(w.current, false), title: w.title}
       } ELSE [] END AS employers,
       CASE WHEN n:Person THEN EXISTS {
         MATCH (n)<-[:IS]-(u:User) WHERE u.tenant_id = $tenant
       } ELSE false END AS is_user,
       CASE WHEN n:Person THEN COLLECT {
         MATCH (n)-[r:INTERACTED]-(m:Person)
         WHERE m.tenant_id = $tenant AND r.last_at IS NOT NULL
         RETURN r.last_at ORDER BY r.last_at DESC LIMIT 1
       } ELSE [] END AS last_interaction,
       CASE WHEN n:Organization THEN COLLECT {
         MATCH (p:Person)-[w:WORKS_AT]->(n)
         WHERE p.tenant_id = $tenant
         RETURN {id: p.id, current: coalesce(w.current, false)} LIMIT $max_people
       } ELSE [] END AS people,
       COLLECT {
         MATCH (n)-[s:POSSIBLY_SAME_AS]-(d:__Entity__)
         WHERE d.tenant_id = $tenant
         RETURN d.id
       } AS same_as
