// Duplicate detection: one page of a tenant's people, with the fields the match model
// compares and their employers (a bounded traversal per person). The tenant index is
// hinted: the planner would otherwise walk the id index through every tenant's people.
MATCH (p:Person)
USING INDEX p:Person(tenant_id)
WHERE p.tenant_id = $tenant AND p.id > $after
WITH p ORDER BY p.id LIMIT $limit
RETURN p.id AS id,
       p.name AS name,
       p.first_name AS first_name,
       p.last_name AS last_name,
       p.email AS email,
       p.phone AS phone,
       p.location AS location,
       COLLECT {
         MATCH (p)-[w:WORKS_AT]->(o:Organization)
         WHERE o.tenant_id = $tenant
         RETURN {id: o.id, name: o.name, current: coalesce(w.current, false)}
       } AS employers
ORDER BY id
