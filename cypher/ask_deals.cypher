// Leads (of one type, e.g. opportunities = deals) in one tenant, grouped by stage,
// owner and currency; optionally only some status categories and a period on a
// date property. Amounts are summed in cents, exactly. Python groups further.
// One row: `groups`, and `sample`: up to 20 of the leads counted (the answer's sources),
// collected as node references and read once, not per group.
MATCH (l:Lead {tenant_id: $tenant})
WHERE ($lead_type IS NULL OR l.lead_type = $lead_type)
  AND ($start IS NULL OR (l[$date_field] >= $start AND l[$date_field] < $end))
OPTIONAL MATCH (l)-[:HAS_STATUS]->(s:Status {tenant_id: $tenant})
WITH l, s
WHERE $categories IS NULL OR s.category IN $categories
OPTIONAL MATCH (l)-[:OWNED_BY]->(u:User {tenant_id: $tenant})
WITH s.name AS stage,
     s.position AS position,
     s.category AS category,
     u.id AS owner_id,
     u.name AS owner,
     l.currency AS currency,
     count(l) AS deals,
     sum(toInteger(round(coalesce(l.amount, 0) * 100))) AS cents,
     collect(l)[..20] AS firsts
WITH collect({stage: stage, position: position, category: category, owner_id: owner_id, owner: owner,
              currency: currency, deals: deals, cents: cents, firsts: firsts}) AS groups
WITH groups, reduce(picked = [], g IN groups | CASE WHEN size(picked) >= 20 THEN picked ELSE picked + g.firsts END)
             AS picked
RETURN [g IN groups | g {.*, firsts: null}] AS groups,
       [x IN picked[..20] | {id: x.id, name: x.name, updated_at: x.updated_at, updated_by: x.updated_by}] AS sample
