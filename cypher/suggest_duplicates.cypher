// Suggestions, "duplicates to review": POSSIBLY_SAME_AS pairs of $tenant whose score lies in the
// review band [$low, $high), that no feedback decision of the tenant has confirmed or rejected.
// $org: pairs of that organization, or of people who work there.
// (The edges carry their tenant: the possibly_same_as_tenant index finds them.)
MATCH (a)-[r:POSSIBLY_SAME_AS]->(b)
WHERE r.tenant_id = $tenant AND a.tenant_id = $tenant AND b.tenant_id = $tenant
  AND ((a:Person AND b:Person) OR (a:Organization AND b:Organization))
  AND r.score >= $low AND r.score < $high
  AND ($org IS NULL OR $org IN [a.id, b.id]
       OR EXISTS { MATCH (a)-[:WORKS_AT]->(:Organization {id: $org}) }
       OR EXISTS { MATCH (b)-[:WORKS_AT]->(:Organization {id: $org}) })
  AND NOT EXISTS {
    MATCH (f:Feedback)
    WHERE f.tenant_id = $tenant AND f.kind = 'duplicate'
      AND ((f.subject_id = a.id AND f.object_id = b.id) OR (f.subject_id = b.id AND f.object_id = a.id))
  }
RETURN CASE WHEN a:Person THEN 'Person' ELSE 'Organization' END AS type,
       a.id AS a_id, a.name AS a_name, a.updated_at AS a_updated_at,
       b.id AS b_id, b.name AS b_name, b.updated_at AS b_updated_at,
       r.score AS score, r.reasons AS reasons
ORDER BY score DESC, a_id, b_id
