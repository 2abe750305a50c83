// People with a role at an organization (current roles first; past ones when asked).
MATCH (:Organization {id: $id, tenant_id: $tenant})<-[w:WORKS_AT]-(p:Person {tenant_id: $tenant})
WHERE $include_past OR w.current
RETURN p.id AS id, p.name AS name, w.title AS title, w.current AS current, w.since AS since,
       w.until AS until, w.contact_id AS contact_id, p.updated_at AS updated_at, p.updated_by AS updated_by
ORDER BY current DESC, name, id
LIMIT $limit
