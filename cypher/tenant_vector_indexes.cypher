// The tenant vector indexes (graph/tenant_vectors.py: 'entity_t_', for the names index 'n', and 16 hex
// digits), any state.
SHOW VECTOR INDEXES YIELD name, labelsOrTypes, state
WHERE name STARTS WITH $prefix
RETURN name, labelsOrTypes AS labels, state
ORDER BY name
