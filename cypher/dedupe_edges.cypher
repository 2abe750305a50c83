// Duplicate detection: a tenant's POSSIBLY_SAME_AS edges, best first.
CALL () {
  MATCH (a:Person)-[r:POSSIBLY_SAME_AS]->(b:Person)
  WHERE a.tenant_id = $tenant AND b.tenant_id = $tenant
  RETURN 'Person' AS type, a, r, b
  UNION
  MATCH (a:Organization)-[r:POSSIBLY_SAME_AS]->(b:Organization)
  WHERE a.tenant_id = $tenant AND b.tenant_id = $tenant
  RETURN 'Organization' AS type, a, r, b
}
RETURN type, a.id AS a, a.name AS a_name, b.id AS b, b.name AS b_name,
       r.score AS score, r.weight AS weight, r.reasons AS reasons, r.method AS method,
       r.fields AS fields, r.field_weights AS field_weights
ORDER BY score DESC, a, b
