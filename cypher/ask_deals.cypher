// Leads (of one type, e.g. opportunities = deals) in one tenant, grouped by stage,
// owner and currency; optionally only some status categories and a period on a
// date property. Amounts are summed in cents, exactly. Python groups further.
MATCH (l:Lead {tenant_id: $tenant})
WHERE ($lead_type IS NULL OR l.lead_type = $lead_type)
  AND ($start IS NULL OR (l[$date_field] >= $start AND l[$date_field] < $end))
OPTIONAL MATCH (l)-[:HAS_STATUS]->(s:Status {tenant_id: $tenant})
WITH l, s
WHERE $categories IS NULL OR s.category IN $categories
OPTIONAL MATCH (l)-[:OWNED_BY]->(u:User {tenant_id: $tenant})
RETURN s.name AS stage,
       s.position AS position,
       s.category AS category,
       u.id AS owner_id,
       u.name AS owner,
       l.currency AS currency,
       count(l) AS deals,
       sum(toInteger(round(coalesce(l.amount, 0) * 100))) AS cents,
       collect({id: l.id, name: l.name, updated_at: l.updated_at, updated_by: l.updated_by})[..20] AS sample
