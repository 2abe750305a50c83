// Nearest entities to a query embedding, inside one tenant. Neo4j 5.26 cannot
// filter inside the vector index, so the caller over-fetches ($fetch) and the
// tenant filter runs right after the index call, before anything is returned.
CALL db.index.vector.queryNodes('entity', $fetch, $embedding) YIELD node, score
WITH node, score
WHERE node.tenant_id = $tenant
  AND ($labels IS NULL OR any(label IN labels(node) WHERE label IN $labels))
RETURN node.id AS id,
       [label IN labels(node) WHERE label <> '__Entity__'][0] AS type,
       node.name AS name,
       coalesce(node.body, node.summary, node.description, node.bio, node.title, node.name) AS text,
       node.updated_at AS updated_at,
       node.updated_by AS updated_by,
       score
ORDER BY score DESC
LIMIT $limit
