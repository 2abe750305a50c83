// The tenant's embedded entities without their tenant label (graph/tenant_vectors.py): written
// before the label existed. The label test comes first: it is cheaper than the property's.
MATCH (n:__Entity__ {tenant_id: $tenant})
WHERE NOT $label IN labels(n) AND n.embedding IS NOT NULL
RETURN n.id AS id
