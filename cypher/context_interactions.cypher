// Context pack (GET /v1/context): the latest interactions of a person, or of anyone who
// works or worked at an organization; at most $limit, newest first, with their participants.
// `relevance`: the cosine of each interaction's stored embedding and $embedding (null without).
// Every node returned or passed through belongs to $tenant.
MATCH (e:__Entity__ {id: $id})
WHERE e.tenant_id = $tenant AND (e:Person OR e:Organization)
CALL (e) {
  MATCH (e:Person)
  RETURN e AS p
  UNION
  MATCH (e:Organization)<-[:WORKS_AT]-(p:Person)
  WHERE p.tenant_id = $tenant
  RETURN p
}
MATCH (p)-[:PARTICIPATED_IN]->(i:Interaction)
WHERE i.tenant_id = $tenant
WITH DISTINCT i
ORDER BY i.occurred_at DESC, i.id
LIMIT $limit
CALL (i) {
  MATCH (x:Person)-[r:PARTICIPATED_IN]->(i)
  WHERE x.tenant_id = $tenant
  WITH x, r
  ORDER BY r.role, x.name
  RETURN collect({id: x.id, name: x.name, role: r.role})[..8] AS participants
}
RETURN i.id AS id, i.kind AS kind, i.subject AS subject, i.summary AS summary, i.occurred_at AS occurred_at,
       i.updated_at AS updated_at, participants,
       CASE WHEN $embedding IS NULL OR i.embedding IS NULL THEN null
            ELSE vector.similarity.cosine(i.embedding, $embedding) END AS relevance
ORDER BY occurred_at DESC, id
