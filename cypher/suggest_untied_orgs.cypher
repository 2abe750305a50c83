// Suggestions, "warm intro available": organizations of $tenant with an open deal where nobody
// on the team works, and nobody on the team has a direct tie (KNOWS or INTERACTED) to anyone
// who works there now. $user: deals that user owns; $org: that organization. Biggest deals first.
// The deals come from the narrowest anchor ($user's own, $org's, else the tenant's leads by the
// lead_tenant index); the team's people are read once, not found again from every person at every organization.
CALL () {
  OPTIONAL MATCH (u:User)-[:IS]->(m:Person)
  WHERE u.tenant_id = $tenant AND m.tenant_id = $tenant
  RETURN collect(DISTINCT m) AS team
}
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
MATCH (d)-[:FOR_ORGANIZATION]->(o:Organization)
WHERE d.tenant_id = $tenant AND d.closed_at IS NULL AND ($org IS NULL OR o.id = $org)
  AND NOT EXISTS { MATCH (d)-[:HAS_STATUS]->(s:Status) WHERE s.category IS NOT NULL AND s.category <> 'open' }
  AND ($user IS NULL OR EXISTS { MATCH (d)-[:OWNED_BY]->(:User {id: $user}) })
WITH team, o, collect(d) AS deals
WHERE NOT EXISTS { MATCH (o)<-[w:WORKS_AT]-(x:Person) WHERE w.current AND x IN team }
  AND NOT EXISTS {
    MATCH (o)<-[w:WORKS_AT]-(:Person)-[:KNOWS|INTERACTED]-(m:Person)
    WHERE w.current AND m IN team
  }
UNWIND deals AS d
WITH o, d
ORDER BY coalesce(d.amount, 0) DESC, d.id
WITH o, collect({id: d.id, name: d.name, updated_at: d.updated_at, amount: d.amount}) AS deals
RETURN o.id AS org_id, o.name AS org_name, o.updated_at AS org_updated_at, deals
ORDER BY coalesce(deals[0].amount, 0) DESC, org_id
LIMIT $candidates
