// kgcrm: what changed this week
// Records of the tenant $tenant_id created or updated in the last 7 days, newest first,
// from the audit properties the sync mirrors (updated_at, updated_by, via_agent). Deleted
// rows are gone from the graph: the CRM's change_log has them.
MATCH (n:__Entity__)
WHERE n.tenant_id = $tenant_id AND n.updated_at >= datetime() - duration('P7D')
OPTIONAL MATCH (u:User {id: n.updated_by})
WHERE u.tenant_id = $tenant_id
RETURN n.updated_at AS changed_at,
       CASE WHEN n.created_at = n.updated_at THEN 'created' ELSE 'updated' END AS change,
       [label IN labels(n) WHERE label <> '__Entity__' AND NOT label STARTS WITH 'VecT_'] AS kind,
       n.name AS name, coalesce(u.name, n.updated_by) AS by, n.via_agent AS via_agent, n.id AS id
ORDER BY changed_at DESC
LIMIT 200
