// Duplicate detection: record probable duplicates as POSSIBLY_SAME_AS edges (never a merge).
// $pairs: [{a, b, type, score, weight, reasons, fields, field_weights}] with a < b; both ends must be entities of
// $tenant with the pair's type. MERGE on the ordered pair: a rerun updates, never duplicates.
UNWIND $pairs AS pair
MATCH (a:__Entity__ {id: pair.a})
WHERE a.tenant_id = $tenant
MATCH (b:__Entity__ {id: pair.b})
WHERE b.tenant_id = $tenant
  AND ((pair.type = 'Person' AND a:Person AND b:Person)
    OR (pair.type = 'Organization' AND a:Organization AND b:Organization))
MERGE (a)-[r:POSSIBLY_SAME_AS]->(b)
ON CREATE SET r.created_at = datetime()
SET r.tenant_id = $tenant,
    r.score = pair.score,
    r.weight = pair.weight,
    r.reasons = pair.reasons,
    r.fields = coalesce(pair.fields, []),
    r.field_weights = coalesce(pair.field_weights, []),
    r.method = $method
RETURN count(r) AS written
