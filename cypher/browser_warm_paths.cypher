// kgcrm: warm paths from us to an organization
// The shortest chains of people who know or have interacted with each other, from one of
// us (the tenant's active users) to someone who works at $organization now (a name, a
// domain or an id; '' picks the organization with the most people). For ranked paths with
// their evidence, use `kgcrm connections`. Every node is of the tenant $tenant_id.
MATCH (o:Organization)
WHERE o.tenant_id = $tenant_id
  AND (coalesce($organization, '') = '' OR o.name = $organization OR o.domain = $organization
       OR o.id = $organization)
WITH o
ORDER BY COUNT { (o)<-[:WORKS_AT]-() } DESC, o.name
LIMIT 1
MATCH job = (target:Person)-[w:WORKS_AT]->(o)
WHERE target.tenant_id = $tenant_id AND w.current
MATCH us = (u:User)-[:IS]->(me:Person)
WHERE u.tenant_id = $tenant_id AND me.tenant_id = $tenant_id AND coalesce(u.is_active, true) AND me <> target
MATCH path = shortestPath((me)-[:KNOWS|INTERACTED*..3]-(target))
WHERE all(n IN nodes(path) WHERE n.tenant_id = $tenant_id)
RETURN us, path, job
ORDER BY length(path)
LIMIT 25
