// The tenant's embedded entities without the tenant label $label (graph/tenant_vectors.py): written
// before the label existed; $kinds: only entities of these labels (the names label), null: any.
// The label test comes first: it is cheaper than the property's.
MATCH (n:__Entity__ {tenant_id: $tenant})
WHERE NOT $label IN labels(n) AND n.embedding IS NOT NULL
  AND ($kinds IS NULL OR any(kind IN labels(n) WHERE kind IN $kinds))
RETURN n.id AS id
