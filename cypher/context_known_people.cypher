// Context pack (GET /v1/context) of an organization: its current people (at most $people) who have
// a direct tie to someone on the team: an explicit one (KNOWS, either direction) or interactions
// (INTERACTED), with the team member and the user. Every node returned or passed through belongs
// to $tenant; only active users count.
MATCH (o:Organization {id: $id})
WHERE o.tenant_id = $tenant
MATCH (p:Person)-[w:WORKS_AT]->(o)
WHERE p.tenant_id = $tenant AND w.until IS NULL
WITH DISTINCT p, w
ORDER BY p.id
LIMIT $people
MATCH (p)-[t:KNOWS|INTERACTED]-(m:Person)<-[:IS]-(u:User)
WHERE m.tenant_id = $tenant AND u.tenant_id = $tenant AND coalesce(u.is_active, true) AND m <> p
OPTIONAL MATCH (c:Contact {id: w.contact_id})
WHERE c.tenant_id = $tenant
RETURN p.id AS person_id, p.name AS person, w.title AS title,
       c.id AS contact_id, c.updated_at AS contact_updated_at,
       m.name AS member, u.id AS user_id, type(t) AS type,
       t.id AS relationship_id, t.kind AS kind, t.strength AS strength, t.updated_at AS updated_at,
       t.count AS count, t.last_at AS last_at
