// The most recent interactions a person took part in.
MATCH (:Person {id: $id, tenant_id: $tenant})-[:PARTICIPATED_IN]->(i:Interaction {tenant_id: $tenant})
WITH DISTINCT i
ORDER BY i.occurred_at DESC, i.id
LIMIT $limit
OPTIONAL MATCH (other:Person {tenant_id: $tenant})-[:PARTICIPATED_IN]->(i)
RETURN i.id AS id, i.name AS name, i.kind AS kind, i.occurred_at AS occurred_at,
       i.updated_at AS updated_at, i.updated_by AS updated_by, collect(DISTINCT other.name) AS participants
ORDER BY occurred_at DESC, id
