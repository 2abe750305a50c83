// Suggestions, "follow-up owed" (2/2): meetings of the last $days days that someone on the team
// attended ($user: that user), after which no note or task was written about any other
// participant, their current organization, or a lead of it. $org: meetings with its people.
// Starts from the tenant's recent interactions (the (tenant_id, occurred_at) index), not from a
// team member's whole history.
MATCH (i:Interaction)
WHERE i.tenant_id = $tenant AND i.occurred_at >= $now - duration({days: $days}) AND i.occurred_at <= $now
  AND i.kind = 'meeting'
  AND EXISTS {
    MATCH (i)<-[:PARTICIPATED_IN]-(:Person)<-[:IS]-(u:User)
    WHERE u.tenant_id = $tenant AND coalesce(u.is_active, true) AND ($user IS NULL OR u.id = $user)
  }
MATCH (i)<-[:PARTICIPATED_IN]-(p:Person)
WHERE p.tenant_id = $tenant AND NOT EXISTS { MATCH (p)<-[:IS]-(:User) }
OPTIONAL MATCH (p)-[w:WORKS_AT]->(o:Organization)
WHERE w.current
WITH i, collect(DISTINCT p) AS people, collect(DISTINCT o) AS orgs
WHERE size(people) > 0 AND ($org IS NULL OR any(o IN orgs WHERE o.id = $org))
  AND NOT EXISTS {
    UNWIND people + orgs AS s
    MATCH (s)<-[:ABOUT]-(n)
    WHERE (n:Note OR n:Task) AND n.created_at >= i.occurred_at
  }
  AND NOT EXISTS {
    UNWIND orgs AS o
    MATCH (o)<-[:FOR_ORGANIZATION|WITH]-(x)<-[:ABOUT]-(n)
    WHERE (n:Note OR n:Task) AND n.created_at >= i.occurred_at
  }
RETURN i.id AS id, i.name AS name, i.updated_at AS updated_at, i.occurred_at AS occurred_at,
       [p IN people | {id: p.id, name: p.name, updated_at: p.updated_at}] AS people,
       [o IN orgs | {id: o.id, name: o.name}] AS orgs
ORDER BY id
