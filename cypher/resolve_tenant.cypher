// A tenant's id from its slug (unique constraint tenant_slug).
MATCH (t:Tenant {slug: $slug})
RETURN t.id AS id, t.name AS name
