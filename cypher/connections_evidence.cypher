// The interactions behind the INTERACTED hops of a weighted search's answer: for each pair of
// people ($pairs: [{a, b}]), the most recent interactions both took part in (at most $per_pair,
// latest first, then by id), inside one tenant. The same rows as connections_interactions, cheaper:
// both people are found first, the walk goes through the interactions of the one with fewer
// (their degrees), and each is checked against the other with one Expand(Into); the tenant of an
// interaction is read only for the shared ones.
UNWIND $pairs AS pair
MATCH (a:Person {id: pair.a})
WHERE a.tenant_id = $tenant
MATCH (b:Person {id: pair.b})
WHERE b.tenant_id = $tenant
WITH pair, a, b, COUNT { (a)-[:PARTICIPATED_IN]->() } <= COUNT { (b)-[:PARTICIPATED_IN]->() } AS a_first
WITH pair, CASE WHEN a_first THEN a ELSE b END AS x, CASE WHEN a_first THEN b ELSE a END AS y
CALL (x, y) {
  MATCH (x)-[:PARTICIPATED_IN]->(i)
  WITH DISTINCT i
  MATCH (i)<-[:PARTICIPATED_IN]-(y)
  WITH DISTINCT i
  WHERE i:Interaction AND i.tenant_id = $tenant
  RETURN i
  ORDER BY i.occurred_at DESC, i.id
  LIMIT $per_pair
}
RETURN pair.a AS a, pair.b AS b, i.id AS id, i.kind AS kind, i.subject AS subject,
       i.occurred_at.epochMillis AS occurred_at
