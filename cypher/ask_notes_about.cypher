// Notes whose subject is this entity, newest first.
MATCH (:__Entity__ {id: $id, tenant_id: $tenant})<-[:ABOUT]-(n:Note {tenant_id: $tenant})
RETURN n.id AS id, n.name AS name, n.body AS body, n.created_at AS created_at,
       n.updated_at AS updated_at, n.updated_by AS updated_by
ORDER BY created_at DESC, id
LIMIT $limit
