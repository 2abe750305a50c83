// Suggestions, "warm intro available": organizations of $tenant with an open deal where nobody
// on the team works, and nobody on the team has a direct tie (KNOWS or INTERACTED) to anyone
// who works there now. $user: deals that user owns; $org: that organization. Biggest deals first.
MATCH (d:Opportunity)-[:FOR_ORGANIZATION]->(o:Organization)
WHERE d.tenant_id = $tenant AND d.closed_at IS NULL AND ($org IS NULL OR o.id = $org)
  AND NOT EXISTS { MATCH (d)-[:HAS_STATUS]->(s:Status) WHERE s.category IS NOT NULL AND s.category <> 'open' }
  AND ($user IS NULL OR EXISTS { MATCH (d)-[:OWNED_BY]->(:User {id: $user}) })
WITH o, collect(d) AS deals
WHERE NOT EXISTS { MATCH (o)<-[w:WORKS_AT]-(:Person)<-[:IS]-(u:User) WHERE w.current AND u.tenant_id = $tenant }
  AND NOT EXISTS {
    MATCH (o)<-[w:WORKS_AT]-(:Person)-[:KNOWS|INTERACTED]-(:Person)<-[:IS]-(u:User)
    WHERE w.current AND u.tenant_id = $tenant
  }
UNWIND deals AS d
WITH o, d
ORDER BY coalesce(d.amount, 0) DESC, d.id
WITH o, collect({id: d.id, name: d.name, updated_at: d.updated_at, amount: d.amount}) AS deals
RETURN o.id AS org_id, o.name AS org_name, o.updated_at AS org_updated_at, deals
ORDER BY coalesce(deals[0].amount, 0) DESC, org_id
LIMIT $candidates
