// Entity ids in pages (by the __Entity__ id constraint's index), optionally of one tenant.
MATCH (n:__Entity__)
WHERE n.id > $after AND ($tenant_id IS NULL OR n.tenant_id = $tenant_id)
RETURN n.id AS id
ORDER BY id
LIMIT $limit
