// Duplicate detection: one page of a tenant's organizations, with the fields the match
// model compares and the people filed under each. The tenant index is hinted: the planner
// would otherwise walk the id index through every tenant's organizations.
MATCH (o:Organization)
USING INDEX o:Organization(tenant_id)
WHERE o.tenant_id = $tenant AND o.id > $after
WITH o ORDER BY o.id LIMIT $limit
RETURN o.id AS id,
       o.name AS name,
       o.domain AS domain,
       o.industry AS industry,
       o.location AS location,
       COLLECT {
         MATCH (p:Person)-[w:WORKS_AT]->(o)
         WHERE p.tenant_id = $tenant
         RETURN {id: p.id, current: coalesce(w.current, false)}
       } AS people
ORDER BY id
