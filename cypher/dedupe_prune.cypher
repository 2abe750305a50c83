// Duplicate detection: remove a tenant's POSSIBLY_SAME_AS edges between $types, except
// those whose "a.id|b.id" key is in $keep ($keep null: remove them all, the undo).
// $method: only edges this method wrote (null: any, e.g. also edges a person drew by hand).
CALL () {
  MATCH (a:Person)-[r:POSSIBLY_SAME_AS]->(b:Person)
  WHERE 'Person' IN $types AND a.tenant_id = $tenant AND b.tenant_id = $tenant
  RETURN r, a.id + '|' + b.id AS key
  UNION
  MATCH (a:Organization)-[r:POSSIBLY_SAME_AS]->(b:Organization)
  WHERE 'Organization' IN $types AND a.tenant_id = $tenant AND b.tenant_id = $tenant
  RETURN r, a.id + '|' + b.id AS key
}
WITH r, key
WHERE ($keep IS NULL OR NOT key IN $keep) AND ($method IS NULL OR r.method = $method)
DELETE r
RETURN count(*) AS removed
