// The value index (retrieval/semantic_layer/values.py): one tenant's team members, linked by
// full or first name; the value is the user's id.
MATCH (u:User {tenant_id: $tenant_id})
RETURN u.id AS id, coalesce(u.full_name, u.name) AS full_name, u.email AS email, u.is_active AS is_active
ORDER BY full_name, id
