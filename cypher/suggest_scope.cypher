// Whom suggestions are for: $id is a user of $tenant (with the person they are) or an
// organization of $tenant; null columns when it is neither (another tenant's id, or unknown).
OPTIONAL MATCH (u:User {id: $id})
WHERE u.tenant_id = $tenant
OPTIONAL MATCH (o:Organization {id: $id})
WHERE o.tenant_id = $tenant
RETURN u.id AS user_id, u.name AS user_name, o.id AS org_id, o.name AS org_name
