// The people of an organization: its current and past employees, and those of its
// subsidiaries (down to three levels) and of the groups it belongs to (up to three).
// One row per role (WORKS_AT), current roles and the organization itself first.
MATCH (org:Organization {id: $id})
WHERE org.tenant_id = $tenant
CALL (org) {
  RETURN org AS at, 0 AS distance
  UNION
  MATCH path = (at:Organization)-[:SUBSIDIARY_OF*1..3]->(org)
  WHERE all(n IN nodes(path) WHERE n.tenant_id = $tenant)
  RETURN at, length(path) AS distance
  UNION
  MATCH path = (org)-[:SUBSIDIARY_OF*1..3]->(at:Organization)
  WHERE all(n IN nodes(path) WHERE n.tenant_id = $tenant)
  RETURN at, length(path) AS distance
}
WITH at, min(distance) AS distance
MATCH (p:Person)-[w:WORKS_AT]->(at)
WHERE p.tenant_id = $tenant
RETURN p.id AS person_id, p.name AS person_name,
       at.id AS org_id, at.name AS org_name, distance,
       w.contact_id AS contact_id, w.title AS title, toString(w.since) AS since, toString(w.until) AS until
ORDER BY (w.until IS NULL) DESC, distance, coalesce(w.until, $today) DESC, person_id
LIMIT $limit
