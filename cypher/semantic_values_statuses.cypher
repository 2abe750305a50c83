// The value index (retrieval/semantic_layer/values.py): one tenant's status names and
// categories, per entity type ("Negotiation" of opportunities, "Done" of tasks …).
MATCH (s:Status {tenant_id: $tenant_id})
WHERE s.name IS NOT NULL OR s.category IS NOT NULL
RETURN s.entity_type AS entity_type, s.name AS name, s.category AS category
ORDER BY entity_type, s.position, name
