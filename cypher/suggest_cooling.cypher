// Suggestions, "relationship cooling": ties between the team ($user: one user; null: all
// active users) and people currently at an organization with an open deal or an active
// account, with their interactions of the last window [$now - $window_days, $now) and of the
// window before. The caller keeps those whose trend falls. $org: only that organization.
MATCH (u:User)-[:IS]->(me:Person)
WHERE u.tenant_id = $tenant AND coalesce(u.is_active, true) AND ($user IS NULL OR u.id = $user)
MATCH (me)-[t:INTERACTED]-(q:Person)-[w:WORKS_AT]->(o:Organization)
WHERE q.tenant_id = $tenant AND o.tenant_id = $tenant AND w.current
  AND ($org IS NULL OR o.id = $org)
  AND t.last_at >= $now - duration({days: 2 * $window_days}) AND coalesce(t.count, 0) >= $min_previous
  AND NOT EXISTS { MATCH (q)<-[:IS]-(:User) }
  AND (EXISTS {
         MATCH (o)<-[:FOR_ORGANIZATION]-(d:Opportunity)
         WHERE d.closed_at IS NULL
           AND NOT EXISTS { MATCH (d)-[:HAS_STATUS]->(s:Status) WHERE s.category IS NOT NULL AND s.category <> 'open' }
       }
       OR EXISTS { MATCH (o)<-[:WITH]-(:Account)-[:HAS_STATUS]->(s:Status) WHERE s.category = 'active' })
CALL (me, q) {
  // from the contact's side: a team member takes part in far more interactions
  MATCH (q)-[:PARTICIPATED_IN]->(i:Interaction)
  WHERE i.occurred_at >= $now - duration({days: 2 * $window_days}) AND i.occurred_at < $now
    AND EXISTS { MATCH (i)<-[:PARTICIPATED_IN]-(me) }
  WITH DISTINCT i
  ORDER BY i.occurred_at DESC
  RETURN sum(CASE WHEN i.occurred_at >= $now - duration({days: $window_days}) THEN 1 ELSE 0 END) AS recent,
         sum(CASE WHEN i.occurred_at < $now - duration({days: $window_days}) THEN 1 ELSE 0 END) AS previous,
         head(collect({id: i.id, updated_at: i.updated_at, occurred_at: i.occurred_at})) AS latest
}
RETURN u.id AS user_id, u.name AS user_name, me.id AS me_id, q.id AS person_id, q.name AS person_name,
       q.updated_at AS person_updated_at, o.id AS org_id, o.name AS org_name, w.contact_id AS contact_id,
       recent, previous, latest
ORDER BY person_id, user_id, org_id
