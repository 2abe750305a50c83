// Where a weighted connections search starts (one round trip): the target, a Person or an
// Organization of the tenant (null when $id is of another tenant, of another kind, or unknown),
// and, for an organization, its people as connections_org_people gives them (current and past
// employees, those of its subsidiaries down to three levels and of its groups up to three; current
// roles and the organization itself first, at most $limit), each as a list:
// [person id, person name, organization id, organization name, distance, contact id, title, since, until].
// The team is not here: connections_team gives it, and the caller keeps it while the sync's
// checkpoint stands still.
OPTIONAL MATCH (t:__Entity__ {id: $id})
WHERE t.tenant_id = $tenant AND (t:Person OR t:Organization)
WITH t, CASE WHEN t:Organization THEN t END AS org
CALL (org) {
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
  WITH p, at, distance, w
  ORDER BY (w.until IS NULL) DESC, distance, coalesce(w.until, $today) DESC, p.id
  LIMIT $limit
  RETURN collect([p.id, p.name, at.id, at.name, distance, w.contact_id, w.title, toString(w.since), toString(w.until)])
         AS people
}
RETURN t.id AS id, t.name AS name, CASE WHEN t:Person THEN 'Person' ELSE 'Organization' END AS type, people
