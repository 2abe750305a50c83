// The facts of some ties, for the weighted strategy's exact scoring: for each pair of people
// ($pairs: [{a, b}]) inside one tenant, the explicit ties (KNOWS, either direction), the
// interactions (INTERACTED) and the co-worker roles (two WORKS_AT to one organization whose
// tenures may overlap: the caller checks the overlap) between them. Rows as connections_ties
// returns them (source: a, target: b), and both names. Dates as ISO text, times as epoch ms.
UNWIND $pairs AS pair
MATCH (a:Person {id: pair.a})
WHERE a.tenant_id = $tenant
MATCH (b:Person {id: pair.b})
WHERE b.tenant_id = $tenant AND b <> a
CALL (a, b) {
  MATCH (a)-[k:KNOWS]-(b)
  RETURN 'KNOWS' AS type,
         {id: k.id, kind: k.kind, strength: k.strength, since: toString(k.since), forward: startNode(k) = a} AS tie
  UNION ALL
  MATCH (a)-[i:INTERACTED]-(b)
  RETURN 'INTERACTED' AS type, {count: i.count, last_at: i.last_at.epochMillis, kinds: i.kinds} AS tie
  UNION ALL
  MATCH (a)-[w1:WORKS_AT]->(o:Organization)<-[w2:WORKS_AT]-(b)
  WHERE o.tenant_id = $tenant
    AND (w1.since IS NULL OR w2.until IS NULL OR w1.since <= w2.until)
    AND (w2.since IS NULL OR w1.until IS NULL OR w2.since <= w1.until)
  RETURN 'COWORKER' AS type,
         {org_id: o.id, org_name: o.name, headcount: COUNT { (o)<-[:WORKS_AT]-() },
          contact_a: w1.contact_id, since_a: toString(w1.since), until_a: toString(w1.until),
          contact_b: w2.contact_id, since_b: toString(w2.since), until_b: toString(w2.until)} AS tie
}
RETURN a.id AS source, a.name AS source_name, b.id AS target, b.name AS name, type, tie
