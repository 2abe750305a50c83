// The team a connections search starts from: the tenant's active users and the people they are
// ($user: one user, or null for all), ordered by user id. The weighted strategy keeps it while the
// sync's checkpoint stands still (connections_weighted_paths gives the target).
MATCH (u:User)
WHERE u.tenant_id = $tenant AND coalesce(u.is_active, true) AND ($user IS NULL OR u.id = $user)
MATCH (u)-[:IS]->(p:Person)
WHERE p.tenant_id = $tenant
RETURN u.id AS user_id, u.name AS user_name, p.id AS person_id, p.name AS person_name
ORDER BY user_id
