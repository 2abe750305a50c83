// kgcrm: tenants (pick one)
// Every other kgcrm query works inside one tenant: set $tenant_id to one of these ids
// (:param tenant_id => '<id>'). Only the tenants' own names are read here.
MATCH (t:Tenant)
RETURN t.id AS tenant_id, t.name AS name, t.slug AS slug
ORDER BY name
