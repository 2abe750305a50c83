// kgcrm: possible duplicates
// Pairs of people or organizations of the tenant $tenant_id that `kgcrm dedupe` found
// probably the same (POSSIBLY_SAME_AS, never merged), the likeliest first.
MATCH pair = (a)-[r:POSSIBLY_SAME_AS]->(b)
WHERE r.tenant_id = $tenant_id AND a.tenant_id = $tenant_id AND b.tenant_id = $tenant_id
RETURN pair
ORDER BY r.score DESC
LIMIT 50
