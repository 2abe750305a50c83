// Suggestions, "nobody owns it": open opportunities and active accounts of $tenant without an
// owner (no OWNED_BY). $org: only those of that organization.
CALL () {
  MATCH (d:Lead:Opportunity)  // :Lead for the lead_tenant index
  WHERE d.tenant_id = $tenant AND d.closed_at IS NULL
  WITH d ORDER BY d.id  // a barrier: the owners of the open ones are looked up, not those of every lead
  WHERE NOT EXISTS { MATCH (d)-[:OWNED_BY]->(:User) }
    AND NOT EXISTS { MATCH (d)-[:HAS_STATUS]->(s:Status) WHERE s.category IS NOT NULL AND s.category <> 'open' }
  OPTIONAL MATCH (d)-[:FOR_ORGANIZATION]->(o:Organization)
  RETURN d AS row, 'lead' AS table, 'Lead' AS type, o
  UNION
  MATCH (a:Account)-[:HAS_STATUS]->(s:Status)
  WHERE a.tenant_id = $tenant AND s.category = 'active' AND NOT EXISTS { MATCH (a)-[:OWNED_BY]->(:User) }
  OPTIONAL MATCH (a)-[:WITH]->(o:Organization)
  RETURN a AS row, 'account' AS table, 'Account' AS type, o
}
WITH row, table, type, o
WHERE $org IS NULL OR o.id = $org
RETURN row.id AS id, row.name AS name, row.updated_at AS updated_at, row.amount AS amount, table, type,
       o.id AS org_id, o.name AS org_name
ORDER BY id
