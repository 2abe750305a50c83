// Context pack (GET /v1/context) of an organization: the organization, its parent and
// subsidiaries, and its people (contact rows, current roles first, then the latest ended),
// at most $people of them. Every node returned or passed through belongs to $tenant.
MATCH (o:Organization {id: $id})
WHERE o.tenant_id = $tenant
CALL (o) {
  OPTIONAL MATCH (o)-[:SUBSIDIARY_OF]->(parent:Organization)
  WHERE parent.tenant_id = $tenant
  RETURN collect({id: parent.id, name: parent.name, updated_at: parent.updated_at})[0] AS parent
}
CALL (o) {
  OPTIONAL MATCH (sub:Organization)-[:SUBSIDIARY_OF]->(o)
  WHERE sub.tenant_id = $tenant
  WITH sub
  WHERE sub IS NOT NULL
  ORDER BY sub.name, sub.id
  LIMIT $people
  RETURN collect({id: sub.id, name: sub.name, updated_at: sub.updated_at}) AS subsidiaries
}
CALL (o) {
  OPTIONAL MATCH (c:Contact)-[:AT]->(o)
  WHERE c.tenant_id = $tenant
  OPTIONAL MATCH (c)-[:FOR_PERSON]->(p:Person)
  WHERE p.tenant_id = $tenant
  WITH c, p
  WHERE c IS NOT NULL AND p IS NOT NULL
  ORDER BY c.ended_on IS NULL DESC, c.ended_on DESC, c.started_on DESC, c.id
  LIMIT $people
  RETURN collect({id: c.id, title: c.title, email: c.email, started_on: toString(c.started_on),
                  ended_on: toString(c.ended_on), updated_at: c.updated_at,
                  person_id: p.id, person: p.name, person_updated_at: p.updated_at}) AS people
}
RETURN o {.*, embedding: null, embedding_hash: null} AS entity, parent, subsidiaries, people
