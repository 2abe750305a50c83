// kgcrm: an organization's people, past and present
// Everyone who works or has worked at $organization (a name, a domain or an id; '' picks
// the organization with the most people): WORKS_AT carries title, since, until and current.
// Every node is of the tenant $tenant_id.
MATCH (o:Organization)
WHERE o.tenant_id = $tenant_id
  AND (coalesce($organization, '') = '' OR o.name = $organization OR o.domain = $organization
       OR o.id = $organization)
WITH o
ORDER BY COUNT { (o)<-[:WORKS_AT]-() } DESC, o.name
LIMIT 1
MATCH job = (p:Person)-[w:WORKS_AT]->(o)
WHERE p.tenant_id = $tenant_id
RETURN job
ORDER BY w.current DESC, w.since DESC
LIMIT 200
