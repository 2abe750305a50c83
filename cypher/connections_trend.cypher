// Interactions between the team and some people since $since (before $until), inside one tenant.
MATCH (t:Person)
WHERE t.id IN $people AND t.tenant_id = $tenant
MATCH (t)-[:PARTICIPATED_IN]->(i:Interaction)<-[:PARTICIPATED_IN]-(m:Person)
WHERE i.tenant_id = $tenant AND m.tenant_id = $tenant AND m.id IN $team
  AND i.occurred_at >= $since AND i.occurred_at < $until
RETURN DISTINCT i.id AS id, i.occurred_at.epochMillis AS occurred_at, m.id AS member, t.id AS person
