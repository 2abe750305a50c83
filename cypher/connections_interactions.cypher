// The interactions behind INTERACTED ties: for each pair of people, the most recent
// interactions both took part in (at most $per_pair), inside one tenant. The query goes
// through the interactions of `a`: put the person with fewer interactions first.
UNWIND $pairs AS pair
MATCH (a:Person {id: pair.a})
WHERE a.tenant_id = $tenant
CALL (a, pair) {
  MATCH (a)-[:PARTICIPATED_IN]->(i:Interaction)
  WHERE i.tenant_id = $tenant
    AND EXISTS { MATCH (i)<-[:PARTICIPATED_IN]-(b:Person) WHERE b.id = pair.b AND b.tenant_id = $tenant }
  RETURN DISTINCT i
  ORDER BY i.occurred_at DESC, i.id
  LIMIT $per_pair
}
RETURN pair.a AS a, pair.b AS b, i.id AS id, i.kind AS kind, i.subject AS subject,
       i.occurred_at.epochMillis AS occurred_at
