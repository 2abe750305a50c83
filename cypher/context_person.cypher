// Context pack (GET /v1/context) of a person: the person, their roles (contact rows, current
// first), whether they are on the team, and their strongest ties: explicit ones (KNOWS, either
// direction, strongest first) and interactions (INTERACTED, most recent first), $per_kind each.
// Every node returned or passed through belongs to $tenant.
MATCH (p:Person {id: $id})
WHERE p.tenant_id = $tenant
CALL (p) {
  OPTIONAL MATCH (c:Contact)-[:FOR_PERSON]->(p)
  WHERE c.tenant_id = $tenant
  OPTIONAL MATCH (c)-[:AT]->(o:Organization)
  WHERE o.tenant_id = $tenant
  OPTIONAL MATCH (c)-[:HAS_STATUS]->(s:Status)
  WHERE s.tenant_id = $tenant
  WITH c, o, s
  WHERE c IS NOT NULL
  ORDER BY c.ended_on IS NULL DESC, c.ended_on DESC, c.started_on DESC, c.id
  RETURN collect({id: c.id, title: c.title, email: c.email, phone: c.phone,
                  started_on: toString(c.started_on), ended_on: toString(c.ended_on),
                  status: s.name, updated_at: c.updated_at,
                  org_id: o.id, org_name: o.name, org_industry: o.industry, org_location: o.location,
                  org_domain: o.domain, org_updated_at: o.updated_at}) AS roles
}
CALL (p) {
  OPTIONAL MATCH (u:User)-[:IS]->(p)
  WHERE u.tenant_id = $tenant
  RETURN collect(u.id)[0] AS user_id
}
CALL (p) {
  OPTIONAL MATCH (p)-[k:KNOWS]-(q:Person)
  WHERE q.tenant_id = $tenant AND q <> p
  WITH k, q
  WHERE k IS NOT NULL
  ORDER BY coalesce(k.strength, 0.5) DESC, k.id
  LIMIT $per_kind
  RETURN collect({id: k.id, other_id: q.id, other: q.name, kind: k.kind, strength: k.strength,
                  since: toString(k.since), updated_at: k.updated_at}) AS knows
}
CALL (p) {
  OPTIONAL MATCH (p)-[i:INTERACTED]-(q:Person)
  WHERE q.tenant_id = $tenant AND q <> p
  WITH i, q
  WHERE i IS NOT NULL
  ORDER BY i.last_at DESC, i.count DESC, q.id
  LIMIT $per_kind
  RETURN collect({other_id: q.id, other: q.name, count: i.count, last_at: i.last_at, kinds: i.kinds,
                  other_updated_at: q.updated_at}) AS interacted
}
RETURN p {.*, embedding: null, embedding_hash: null} AS entity, roles, user_id, knows, interacted
