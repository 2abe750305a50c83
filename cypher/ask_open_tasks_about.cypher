// Open tasks whose subject is this entity.
MATCH (:__Entity__ {id: $subject_id, tenant_id: $tenant})<-[:ABOUT]-(t:Task {tenant_id: $tenant})
WHERE t.completed_at IS NULL
OPTIONAL MATCH (t)-[:HAS_STATUS]->(s:Status {tenant_id: $tenant})
WITH t, s
WHERE s IS NULL OR NOT (s.is_terminal = true OR s.category = 'done')
OPTIONAL MATCH (t)-[:ASSIGNED_TO]->(u:User {tenant_id: $tenant})
RETURN t.id AS id, t.name AS name, t.due_at AS due_at, s.name AS status, u.name AS assignee,
       t.updated_at AS updated_at, t.updated_by AS updated_by
ORDER BY t.due_at IS NULL, t.due_at, t.id
LIMIT $limit
