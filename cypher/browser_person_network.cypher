// kgcrm: a person's network
// The person $person (a full name or an id; '' picks the tenant's best-connected person),
// the people they know or have interacted with, and where those people work now.
// Every node is of the tenant $tenant_id.
MATCH (p:Person)
WHERE p.tenant_id = $tenant_id
  AND (coalesce($person, '') = '' OR p.name = $person OR p.id = $person)
WITH p
ORDER BY COUNT { (p)-[:KNOWS|INTERACTED]-() } DESC, p.name
LIMIT 1
MATCH tie = (p)-[:KNOWS|INTERACTED]-(q:Person)
WHERE q.tenant_id = $tenant_id
OPTIONAL MATCH job = (q)-[w:WORKS_AT]->(o:Organization)
WHERE w.current AND o.tenant_id = $tenant_id
RETURN tie, job
LIMIT 150
