// The facts of the candidate paths' ties, for the weighted strategy's exact scoring, in one round
// trip (one row):
// - ties: for each pair of people ($pairs: [{a, b}]) inside one tenant, the explicit ties (KNOWS,
//   either direction), the interactions (INTERACTED) and the co-worker roles (two WORKS_AT to one
//   organization whose tenures may overlap: the caller checks the overlap) between them, as
//   connections_ties returns them ({source: a, source_name, target: b, name, type, tie});
// - decisions: the feedback the search honours for these people ($ids), as feedback_ties returns it
//   with $only null ({what: 'dismissed' | 'same', a, b, id, name}).
// Dates as ISO text, times as epoch ms.
CALL () {
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
  RETURN collect({source: a.id, source_name: a.name, target: b.id, name: b.name, type: type, tie: tie}) AS ties
}
CALL () {
  CALL () {
    MATCH (f:Feedback)
    WHERE f.tenant_id = $tenant AND f.kind = 'tie' AND f.decision = 'dismiss'
      AND (f.subject_id IN $ids OR f.object_id IN $ids)
    RETURN 'dismissed' AS what, f.subject_id AS a, f.object_id AS b, f.id AS id, null AS name
    UNION ALL
    MATCH (p:Person)-[s:SAME_AS]-(q:Person)
    WHERE p.id IN $ids AND p.tenant_id = $tenant AND q.tenant_id = $tenant
    RETURN 'same' AS what, p.id AS a, q.id AS b, s.feedback_id AS id, q.name AS name
  }
  RETURN collect({what: what, a: a, b: b, id: id, name: name}) AS decisions
}
RETURN ties, decisions
