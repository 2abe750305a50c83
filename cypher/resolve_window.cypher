// Entity resolution by time: who took part in interactions in a window, and where they work.
// Interactions come from the range index (tenant_id, occurred_at), newest first, at most
// $max_interactions; $kinds (empty: any) narrows them ("met" → meeting, "called" → call).
// Our own team (people who are users) and our own organization (where the team works) are
// left out: "the company we met" is never us. One row per (interaction, person, employer).
CALL () {
  OPTIONAL MATCH (u:User)-[:IS]->(tp:Person)
  WHERE u.tenant_id = $tenant AND tp.tenant_id = $tenant
  OPTIONAL MATCH (tp)-[tw:WORKS_AT]->(own:Organization)
  WHERE own.tenant_id = $tenant AND coalesce(tw.current, false)
  RETURN collect(DISTINCT tp.id) AS team, collect(DISTINCT own.id) AS own_organizations
}
MATCH (i:Interaction)
WHERE i.tenant_id = $tenant AND i.occurred_at >= $start AND i.occurred_at < $end
  AND (size($kinds) = 0 OR i.kind IN $kinds)
WITH team, own_organizations, i
ORDER BY i.occurred_at DESC
LIMIT $max_interactions
MATCH (p:Person)-[:PARTICIPATED_IN]->(i)
WHERE p.tenant_id = $tenant AND NOT p.id IN team
OPTIONAL MATCH (p)-[w:WORKS_AT]->(o:Organization)
WHERE o.tenant_id = $tenant AND coalesce(w.current, false) AND NOT o.id IN own_organizations
RETURN i.id AS interaction, i.kind AS kind, i.occurred_at AS occurred_at, i.subject AS subject,
       p.id AS person, o.id AS organization
