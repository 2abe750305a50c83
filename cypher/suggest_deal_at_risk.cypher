// Suggestions, "deal at risk": open opportunities of $tenant past their expected close date,
// or with no interaction with anyone at their organization for $silent_days, or whose row was
// not updated for $stale_days. $user: only deals that user owns (null: any); $org: only deals
// for that organization (null: any). Open: not closed, and a status of category 'open' (or none).
// (Silence is an existence check: a new interaction there ends it, so it needs no evidence row.)
// The deals are found from the narrowest anchor ($user's own, $org's, else the tenant's leads by the
// lead_tenant index): never by a scan of every tenant's opportunities.
CALL () {
  MATCH (:User {id: $user, tenant_id: $tenant})<-[:OWNED_BY]-(d:Opportunity)
  RETURN d
  UNION
  MATCH (:Organization {id: $org, tenant_id: $tenant})<-[:FOR_ORGANIZATION]-(d:Opportunity)
  WHERE $user IS NULL
  RETURN d
  UNION
  UNWIND CASE WHEN $user IS NULL AND $org IS NULL THEN [$tenant] ELSE [] END AS everyone  // no seek when anchored
  MATCH (d:Lead:Opportunity)
  WHERE d.tenant_id = everyone
  RETURN d
}
WITH d
WHERE d.tenant_id = $tenant AND d.closed_at IS NULL
  AND NOT EXISTS { MATCH (d)-[:HAS_STATUS]->(s:Status) WHERE s.category IS NOT NULL AND s.category <> 'open' }
OPTIONAL MATCH (d)-[:FOR_ORGANIZATION]->(o:Organization)
OPTIONAL MATCH (d)-[:OWNED_BY]->(u:User)
WITH d, o, u
WHERE ($user IS NULL OR u.id = $user) AND ($org IS NULL OR o.id = $org)
WITH d, o, u,
     d.expected_close_on IS NOT NULL AND d.expected_close_on < $today AS overdue,
     o IS NOT NULL AND NOT EXISTS {
       MATCH (o)<-[:WORKS_AT]-(:Person)-[:PARTICIPATED_IN]->(i:Interaction)
       WHERE i.occurred_at >= $now - duration({days: $silent_days}) AND i.occurred_at <= $now
     } AS silent,
     d.updated_at < $now - duration({days: $stale_days}) AS stale
WHERE overdue OR silent OR stale
RETURN d.id AS id, d.name AS name, d.updated_at AS updated_at, d.amount AS amount,
       toString(d.expected_close_on) AS close_on,
       o.id AS org_id, o.name AS org_name, o.updated_at AS org_updated_at,
       u.id AS owner_id, u.name AS owner_name, overdue, silent, stale
ORDER BY id
