// The ties of some people ($ids) inside one tenant:
// - explicit ones (KNOWS, either direction), at most $per_kind per person, strongest first;
// - interactions (INTERACTED, undirected), at most $per_kind per person, most recent first;
// - co-workers: two WORKS_AT to one organization whose tenures may overlap (a superset: the
//   caller checks the overlap), at most $per_coworkers per person and organization. Each
//   organization's staff is read once and ordered by how well they know the team ($team:
//   their most frequent interaction with it, an explicit tie counting 10 times its strength),
//   then by the latest and longest tenure: so the co-workers kept are the likely bridges.
// $only: when not null, only ties to these people. Every node the query returns or passes
// through belongs to $tenant. Dates come as ISO text and times as epoch milliseconds
// (cheaper to decode than temporal values).
CALL () {
  MATCH (p:Person)
  WHERE p.id IN $ids AND p.tenant_id = $tenant
  CALL (p) {
    MATCH (p)-[k:KNOWS]-(q:Person)
    WHERE q.tenant_id = $tenant AND q <> p AND ($only IS NULL OR q.id IN $only)
    RETURN q, 'KNOWS' AS type,
           {id: k.id, kind: k.kind, strength: k.strength, since: toString(k.since), forward: startNode(k) = p} AS tie
    ORDER BY coalesce(k.strength, 0.5) DESC
    LIMIT $per_kind
    UNION ALL
    MATCH (p)-[i:INTERACTED]-(q:Person)
    WHERE q.tenant_id = $tenant AND q <> p AND ($only IS NULL OR q.id IN $only)
    RETURN q, 'INTERACTED' AS type, {count: i.count, last_at: i.last_at.epochMillis, kinds: i.kinds} AS tie
    ORDER BY i.last_at DESC, i.count DESC
    LIMIT $per_kind
  }
  RETURN p.id AS source, q.id AS target, q.name AS name, type, tie
  UNION ALL
  MATCH (p:Person)-[w1:WORKS_AT]->(o:Organization)
  WHERE p.id IN $ids AND p.tenant_id = $tenant AND o.tenant_id = $tenant
  WITH o, collect({id: p.id, contact: w1.contact_id, since: w1.since, until: w1.until}) AS members
  CALL (o) {
    MATCH (o)<-[w2:WORKS_AT]-(q:Person)
    WHERE q.tenant_id = $tenant AND ($only IS NULL OR q.id IN $only)
    CALL (q) {
      OPTIONAL MATCH (q)-[t:INTERACTED|KNOWS]-(s:Person)
      WHERE s.id IN $team AND s.tenant_id = $tenant
      RETURN coalesce(max(coalesce(t.count, 10 * coalesce(t.strength, 0.5))), 0) AS near_team
    }
    WITH q, w2, near_team
    ORDER BY near_team DESC, coalesce(w2.until, $today) DESC, w2.since
    RETURN collect({id: q.id, name: q.name, contact: w2.contact_id, since: w2.since, until: w2.until}) AS staff
  }
  WITH o, members, staff, COUNT { (o)<-[:WORKS_AT]-() } AS headcount
  UNWIND members AS m
  UNWIND [s IN staff WHERE s.id <> m.id
            AND (m.since IS NULL OR s.until IS NULL OR m.since <= s.until)
            AND (s.since IS NULL OR m.until IS NULL OR s.since <= m.until)][..$per_coworkers] AS s
  RETURN m.id AS source, s.id AS target, s.name AS name, 'COWORKER' AS type,
         {org_id: o.id, org_name: o.name, headcount: headcount,
          contact_a: m.contact, since_a: toString(m.since), until_a: toString(m.until),
          contact_b: s.contact, since_b: toString(s.since), until_b: toString(s.until)} AS tie
}
RETURN source, target, name, type, tie
