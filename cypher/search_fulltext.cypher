// Lucene matches over names and free text, inside one tenant ($query is escaped by the caller).
CALL {
  CALL db.index.fulltext.queryNodes('entity_names', $query, {limit: $fetch}) YIELD node, score
  RETURN node, score
  UNION ALL
  CALL db.index.fulltext.queryNodes('content_text', $query, {limit: $fetch}) YIELD node, score
  RETURN node, score
}
WITH node, max(score) AS score
WHERE node.tenant_id = $tenant
  AND ($labels IS NULL OR any(label IN labels(node) WHERE label IN $labels))
RETURN node.id AS id,
       [label IN labels(node) WHERE label <> '__Entity__' AND NOT label STARTS WITH 'VecT_'][0] AS type,
       node.name AS name,
       coalesce(node.body, node.summary, node.description, node.bio, node.title, node.name) AS text,
       node.updated_at AS updated_at,
       node.updated_by AS updated_by,
       score
ORDER BY score DESC
LIMIT $limit
